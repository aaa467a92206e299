"""Everyday questions that no health FAQ answers: the off-topic background of calibration.

``calibration.py`` asks each of them of a knowledge base when it is indexed, to
learn how high an off-topic question scores *there* (a small FAQ page without
alternate phrasings scores everything lower than the shipped pack, MedQuAD's
47k entries score everything higher). Written for backcare; none of them is in
``tuning/`` or ``../shared/eval``, so the benchmark's off-topic figures are not
measured on questions the calibration has seen.
"""

from __future__ import annotations

__all__ = ["BACKGROUND"]

BACKGROUND: tuple[str, ...] = (
    "what is the weather going to be like on monday",
    "how do I make a sponge cake rise",
    "where can I watch the tennis final",
    "how much is a return ticket to london",
    "what is the quickest way to defrost chicken",
    "how do I update the software on my tablet",
    "who painted the mona lisa",
    "how do I grow strawberries on a balcony",
    "what is the best way to save for retirement",
    "how do I get candle wax off a tablecloth",
    "what year did the berlin wall fall",
    "how do I set up parental controls on a phone",
    "what is a good recipe for vegetable soup",
    "how do I change the ink in my printer",
    "what time is sunset today",
    "how to get a refund for a delayed flight",
    "what is the difference between a lake and a pond",
    "how do I clean limescale from a kettle",
    "which planet is closest to the sun",
    "how do I start a podcast",
    "what should I wear to a job interview",
    "how do I make my lawn greener",
    "how many teaspoons in a tablespoon",
    "how to stop my dog barking at the door",
    "what is the offside rule in football",
    "how do I transfer money abroad",
    "what are some fun things to do in rome",
    "how do I fix a zip that keeps splitting",
    "what is machine learning",
    "how do I descale a coffee machine",
    "who invented the telephone",
    "how do I make a good first impression",
    "how long does paint take to dry",
    "what is the cheapest way to heat a house",
    "how do I write a thank you note",
    "what does inflation mean",
    "how to choose a good watermelon",
    "how do I reset a forgotten password",
    "what is the highest waterfall in the world",
    "how to keep bread fresh for longer",
    "hi there",
    "ok thanks bye",
    "what is your favourite colour",
    "tell me something interesting",
    "how do I replace a light bulb",
    "which team won the world cup in 2010",
    "how to make a smoothie without a blender",
    "what is the best way to revise for exams",
    "how do I measure my room for a carpet",
    "what are the planets in order",
    "how do I put up a shelf",
    "how much should I tip in a restaurant",
    "what is the story of the odyssey",
    "how to speed up a slow computer",
    "what is the best way to store onions",
    "how do I register to vote",
    "what is an electric car's range",
    "how to untangle a necklace chain",
    "what is the longest river in africa",
    "how do I iron a shirt without creases",
)
