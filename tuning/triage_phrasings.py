"""Generate labelled triage phrasings for fitting and for testing the red-flag layers.

Run ``python tuning/triage_phrasings.py`` to (re)write
``eval/triage/generated_fit.jsonl`` and ``eval/triage/generated_test.jsonl``;
``--check`` writes nothing and exits 1 if the files on disk differ from what
this script would write.

Where the words come from: ``shared/CONTENT.md`` section 3 (which symptom
belongs to which red flag, at which level, and what must not trigger) and how
people describe these things in messages. Not from the rule patterns in
``content/red_flags.yaml``: only its rule ids are used, as family ids.

How fit and test are kept apart: every list below (symptom wordings per family
and style, sentence frames, negation phrases and forms, narrative filler,
relatives, time phrases, decoys) is split by position, so a wording, frame or
filler sentence used in one split never appears in the other; typos come from a
different random stream per split. A test line therefore measures how a layer
handles wording it was never fitted on, not how well it remembers lines.

Labels are the exact expected level: the most urgent flag present, a negated
flag or a history that belongs to someone else does not count, and a history
of cancer counts however long ago (CONTENT.md section 3).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "eval" / "triage"
SEED = 14
SPLITS = ("fit", "test")

EMERGENCY, URGENT, DOCTOR, SELF_CARE = "emergency", "urgent", "doctor", "self_care"
RANK = {SELF_CARE: 0, DOCTOR: 1, URGENT: 2, EMERGENCY: 3}

# ---------------------------------------------------------------------------
# Symptom wordings per family, in the first person with pronoun tokens so the
# same wording can be said about someone else:
#   {I} {my} {me} {myself} {Im} (I'm / he's) {Ive} (I've / he's) {have} {am}
#   {dont} (don't / doesn't) and {first|third} for any other verb form.
# Styles: lay, euphemism, clinical, non_native, misspelled.
# ---------------------------------------------------------------------------

WORDINGS: dict[str, dict[str, list[str]]] = {
    "saddle_numbness": {
        "lay": [
            "{my} bum and groin have gone numb",
            "{I} can't feel the toilet paper when {I} {wipe|wipes}",
            "pins and needles all round {my} backside and between {my} legs",
            "a numb feeling between {my} legs since the spasm",
            "{my} inner thighs feel numb, like they belong to someone else",
            "when {I} {sit|sits} on the toilet {I} can't really feel the seat",
            "{my} bottom feels dead, like after an injection at the dentist",
            "tingling around {my} genitals that wasn't there before",
            "the skin round {my} bum feels numb when {I} {touch|touches} it",
            "{my} buttocks have gone numb on both sides",
        ],
        "euphemism": [
            "{I} can't feel anything down there",
            "numbness round {my} back passage",
            "{my} private parts feel numb",
            "it feels numb down below, front and back",
            "{my} privates have gone all tingly and numb",
            "numbness right where {I} {sit|sits}",
            "{my} nether regions have no feeling",
            "{my} bits feel numb",
            "{I} can't feel {my} undercarriage properly",
            "{my} front bottom and back bottom both feel numb",
        ],
        "clinical": [
            "saddle anaesthesia",
            "perianal numbness",
            "reduced sensation in the perineum",
            "altered sensation in the saddle area",
            "paraesthesia in the buttocks and genital region",
        ],
        "non_native": [
            "when {I} touch down there {I} feel nothing",
            "is numb the place where {I} sit, the bottom and between legs",
            "{I} have no feeling in bottom area since two days",
            "the zone of genitals is like sleeping",
            "{I} not feel the paper when {I} clean after toilet",
        ],
        "misspelled": [
            "numbnes arround {my} bum and groin",
            "cant feel {my} privats properly",
            "tinglng between {my} legs and round {my} botom",
            "numb arse and groyne",
        ],
    },
    "cauda_equina": {
        "lay": [
            "{I} haven't been able to pee since last night",
            "{I} {need|needs} a wee but nothing comes out",
            "{I} wet {myself} and didn't even notice",
            "{I} can't tell when {my} bladder is full any more",
            "{I} have to push really hard to start peeing and then it only trickles",
            "{Ive} been leaking urine since {my} back went",
            "{I} lost control of {my} bowels this morning",
            "{I} pooed {myself} without feeling it coming",
            "{I} can't hold {my} poo in",
            "{I} can't get an erection since {my} back went",
            "{I} can't control when {I} {pee|pees}",
            "{my} bladder feels full but {I} can't go",
            "{I} couldn't stop {myself} peeing",
            "{Ive} had an accident and didn't realise until afterwards",
        ],
        "euphemism": [
            "{I} can't do a wee",
            "{I} {keep|keeps} dribbling wee",
            "{I} had an accident with a number two and didn't feel it",
            "{I} can't go for a number one",
            "no control over {my} poo",
            "{I} can't feel when {I} {need|needs} the loo",
            "{my} waterworks have stopped working",
            "nothing happens down there when {I} {try|tries} to go",
            "no feeling down there during sex any more",
            "{I} {keep|keeps} having little leaks in {my} pants",
            "{I} can't pass water",
            "{I} messed {my} pants and didn't know",
            "{I} can't tell if {I} {need|needs} a number two",
            "{my} waterworks just dribble",
        ],
        "clinical": [
            "urinary retention",
            "new urinary incontinence",
            "faecal incontinence",
            "loss of bladder sensation",
            "difficulty initiating micturition",
            "new erectile dysfunction with the back pain",
            "overflow incontinence",
        ],
        "non_native": [
            "{I} cannot make pee since yesterday",
            "the urine is coming alone, {I} cannot stop it",
            "{I} want to go toilet but the pee not come",
            "{I} make poo in {my} pants and not feel",
            "since the back pain {my} penis is not working",
            "{I} go to toilet and nothing is coming out from bladder",
        ],
        "misspelled": [
            "cant controll {my} bladder",
            "{I} {keep|keeps} weting {myself}",
            "carnt stop peeing {myself}",
            "havent had a wee all day even tho {I} need one",
            "{I} cant feel wen {I} {need|needs} to poo",
        ],
    },
    "both_legs": {
        "lay": [
            "both {my} legs have gone weak",
            "tingling down both legs",
            "sciatica in both legs now",
            "both {my} feet have gone numb",
            "{my} legs feel like jelly, both of them",
            "pins and needles in both feet",
            "pain shooting down the backs of both legs",
            "neither leg feels right, they're both numb",
            "{I} can hardly stand, both legs are giving way",
            "both {my} thighs feel numb",
        ],
        "euphemism": [
            "both {my} pins have gone to jelly",
            "{my} legs have turned to cotton wool, both of them",
        ],
        "clinical": [
            "bilateral sciatica",
            "bilateral leg weakness",
            "bilateral lower limb paraesthesia",
            "bilateral radicular pain",
        ],
        "non_native": [
            "the two legs are weak",
            "in both leg is tingle and no force",
            "{my} legs, the two, they are sleeping",
            "left and right leg both are numb",
        ],
        "misspelled": [
            "both legs gone numm",
            "tingeling in both {my} legs",
            "wobbley legs on both sides",
        ],
    },
    "leg_weakness": {
        "lay": [
            "{my} foot slaps down when {I} {walk|walks}",
            "{I} can't lift the front of {my} foot",
            "{my} leg is getting weaker every hour",
            "{my} knee keeps giving way since the spasm",
            "{I} {keep|keeps} tripping because {my} toes drag",
            "{I} can't stand on tiptoe on {my} left leg any more",
            "{my} right leg has suddenly gone weak",
            "{my} leg won't take {my} weight",
            "{I} can't push off with {my} foot, it just flops",
            "{my} leg gave out and {I} collapsed",
        ],
        "clinical": [
            "foot drop",
            "progressive weakness of the left leg",
            "new weakness of ankle dorsiflexion",
            "rapidly worsening motor weakness in the right leg",
        ],
        "non_native": [
            "{my} foot is falling when {I} walk, {I} cannot lift it",
            "the leg every hour is more weak",
            "{my} leg not have force any more",
        ],
        "misspelled": [
            "{my} foot keeps draging on the floor",
            "leg getting weeker and weeker",
            "cant lift {my} foot up propperly",
        ],
    },
    "major_trauma": {
        "lay": [
            "{I} fell off a ladder onto {my} back",
            "{I} was in a car crash this morning",
            "{I} got hit by a car on {my} bike",
            "{I} fell down the whole flight of stairs",
            "{I} came off {my} motorbike on the way to work",
            "{I} was thrown off {my} horse and landed on {my} back",
            "{I} fell through the loft hatch",
            "{I} fell off the roof",
            "someone went into the back of us at speed",
            "{I} came off {my} bike going fast and hit the kerb",
            "{I} fell from the scaffolding at work",
        ],
        "clinical": [
            "fall from a height of about three metres",
            "high-speed road traffic collision",
            "fall down a full flight of stairs",
            "thrown from a horse at a canter",
        ],
        "non_native": [
            "{I} fall from the ladder, very high",
            "car accident today, a big one",
            "{I} fall down all the stairs from the top",
        ],
        "misspelled": [
            "fell of a laddar onto {my} back",
            "car crahs yesterday",
            "fell down the hole stairs",
        ],
    },
    "chest_breathless": {
        "lay": [
            "the pain goes round into {my} chest and down {my} left arm",
            "a crushing pain in {my} chest as well as {my} back",
            "{I} can't catch {my} breath",
            "a tight chest and sweating with it",
            "{my} chest feels like it's being squeezed",
            "{Im} short of breath just sitting still",
            "it hurts in {my} chest when {I} {breathe|breathes} in",
            "a heavy feeling on {my} chest and {my} jaw aches",
            "{Im} struggling to breathe",
        ],
        "euphemism": [
            "{my} ticker feels like it's being sat on",
            "{I} can't get any puff",
        ],
        "clinical": [
            "central chest pain radiating to the back",
            "dyspnoea at rest",
            "chest tightness with diaphoresis",
            "chest pain radiating to the left arm",
        ],
        "non_native": [
            "{my} chest is pressing and the air is not enough",
            "the pain is going from back to the chest and arm",
            "{I} cannot breathe good and chest is hurting",
        ],
        "misspelled": [
            "chest pian",
            "{I} cant get {my} breth",
            "tight chesst and all sweaty",
        ],
    },
    "aortic": {
        "lay": [
            "a sudden tearing pain through {my} back and tummy",
            "{I} can feel a pulsing lump in {my} belly",
            "there's a throbbing like a heartbeat in {my} stomach",
            "{I} blacked out with the pain",
            "{I} fainted in the kitchen",
            "{Im} pale, clammy and dizzy with it",
            "{I} {feel|feels} faint and {my} belly hurts too",
            "a sudden ripping pain in {my} back",
            "{Im} 71 and smoke, and there's a throbbing lump in {my} tummy",
        ],
        "clinical": [
            "pulsatile abdominal mass",
            "sudden severe back pain with syncope",
            "known abdominal aortic aneurysm, now severe back pain",
            "pallor, sweating and hypotension with abdominal pain",
        ],
        "non_native": [
            "in {my} belly something is beating like a heart",
            "{I} fall down, faint, and the back is very pain",
            "suddenly the back is tearing and the stomach too",
        ],
        "misspelled": [
            "pulseing lump in {my} tummy",
            "{I} passd out",
            "{I} feel dizzy and clammey",
        ],
    },
    "fever_unwell": {
        "lay": [
            "{Ive} got a temperature of 38.6",
            "hot and cold shivers",
            "{I} {feel|feels} really poorly as well",
            "{I} {have} a fever",
            "{Im} burning up and shaking",
            "{my} temperature is 39",
            "{I} {keep|keeps} getting the sweats and shivers",
            "{I} {feel|feels} properly ill, not just sore",
        ],
        "euphemism": [
            "{Im} running a temperature",
            "{I} {feel|feels} rough as anything, hot and shivery",
        ],
        "clinical": [
            "pyrexia of 38.9",
            "febrile with rigors",
            "temperature 38.4 and systemically unwell",
        ],
        "non_native": [
            "{I} have the fever, 38 and half",
            "{my} body is hot and {I} {am} shaking from cold",
            "{I} feel very sick in all the body",
        ],
        "misspelled": ["{I} have a feaver", "temprature 38.5", "shivvers and sweats"],
    },
    "infection_risk": {
        "lay": [
            "{I} inject drugs",
            "{Im} on chemo",
            "{I} had a kidney infection last week",
            "{Im} HIV positive",
            "{I} take anti-rejection drugs after {my} transplant",
            "{I} just finished antibiotics for a water infection",
            "{I} had cellulitis on {my} leg recently",
            "{Im} on immunosuppressants for {my} arthritis",
        ],
        "clinical": [
            "intravenous drug use",
            "immunosuppressed after a renal transplant",
            "recent pyelonephritis",
            "recent bacteraemia",
        ],
        "non_native": [
            "{I} use the needle for drugs",
            "{I} take medicine for the new kidney",
            "two weeks ago {I} have infection in the kidney",
        ],
        "misspelled": ["{Im} on chemotherapie", "had a kidny infection", "{I} injekt heroin"],
    },
    "cancer_history": {
        "lay": [
            "{I} had breast cancer a few years back",
            "{Im} being treated for prostate cancer",
            "{Im} in remission from myeloma",
            "{I} had bowel cancer surgery last year",
            "{I} had lung cancer",
            "{I} finished treatment for lymphoma two years ago",
            "{Ive} had cancer before",
            "{I} had a melanoma removed ten years ago",
        ],
        "clinical": [
            "history of breast carcinoma",
            "previous malignancy",
            "metastatic prostate cancer",
            "past history of renal cell carcinoma",
        ],
        "non_native": [
            "before, {I} had the cancer in the breast",
            "{I} had cancer of the prostate, treatment is finished",
            "three years ago they take out cancer from {my} bowel",
        ],
        "misspelled": ["had brest cancer", "histroy of prostate cancer", "{I} had cancr in 2019"],
    },
    "weight_loss": {
        "lay": [
            "{Ive} lost a stone without trying",
            "{my} clothes are hanging off {me}",
            "{Ive} been losing weight and {I} don't know why",
            "{Ive} dropped two dress sizes without dieting",
            "{Ive} lost loads of weight lately without meaning to",
        ],
        "clinical": ["unintentional weight loss of 7 kg", "unexplained weight loss"],
        "non_native": [
            "{I} lose many kilos and {I} not make a diet",
            "{I} {am} more thin every week, not from diet",
        ],
        "misspelled": ["lost wieght without trying", "loosing weight for no reason"],
    },
    "night_rest_pain": {
        "lay": [
            "the pain wakes {me} every night whatever position {I} {lie|lies} in",
            "it's just as bad lying completely still",
            "it's a constant throbbing and nothing eases it",
            "no position is comfortable, even lying still, day or night",
            "{I} can't get comfy at night at all, it never lets up",
            "it hurts all the time, even when {Im} resting",
        ],
        "clinical": [
            "constant non-mechanical pain",
            "pain at rest and at night, not relieved by position",
        ],
        "non_native": [
            "the pain is always, also in the night, also when {I} not move",
            "in the night {I} wake from pain, any position",
        ],
        "misspelled": [
            "constent pain even resting",
            "wakes {me} every nite no matter how {I} {lie|lies}",
        ],
    },
    "thoracic": {
        "lay": [
            "the pain is between {my} shoulder blades",
            "{my} mid-back hurts at bra-strap level",
            "the pain is higher up, in the middle of {my} back",
            "{my} upper back hurts and won't settle",
        ],
        "clinical": ["thoracic spine pain", "interscapular pain"],
        "non_native": [
            "the pain is in the middle of back, between the shoulder bones",
            "the high part of {my} back is hurting",
        ],
        "misspelled": ["pain betwen {my} sholder blades", "midle of {my} back hurts"],
    },
    "fracture_risk": {
        "lay": [
            "{I} have osteoporosis and slipped in the bath",
            "{Im} 78 and had a small tumble",
            "{Ive} been on steroid tablets for years and felt something go when {I} lifted the bin",
            "{I} sneezed and felt a crack, {I} have thin bones",
            "{Im} 82 and bumped into the door frame",
            "{I} take prednisolone long term and tripped on the step",
            "{I} have brittle bones and lifted a heavy bag",
        ],
        "clinical": [
            "osteoporotic, minor fall",
            "long-term oral corticosteroids and a low-energy fall",
            "age 74, fall from standing height",
        ],
        "non_native": [
            "{I} have weak bones, osteoporosis, and {I} fall a little in the kitchen",
            "{I} {am} 80 years, {I} slip a little and now back is pain",
        ],
        "misspelled": [
            "{I} have osteoperosis and tripped",
            "on steriods for years, slipped on ice",
        ],
    },
    "lump_deformity": {
        "lay": [
            "there's a new lump on {my} spine",
            "{my} back suddenly looks crooked",
            "a swelling has come up over {my} backbone",
            "{my} spine looks bent to one side all of a sudden",
            "{I} found a hard bump on {my} spine that wasn't there before",
        ],
        "clinical": ["new paraspinal mass", "new spinal deformity"],
        "non_native": ["on {my} spine is a new ball, {I} can touch it"],
        "misspelled": ["new lump on {my} spien", "a swolen bit on {my} backbone"],
    },
    "pregnancy_labour": {
        "lay": [
            "{Im} 33 weeks pregnant and the backache comes in waves",
            "{Im} pregnant and there's some bleeding",
            "{Im} pregnant and think {my} waters might be leaking",
            "{Im} expecting and getting regular tightenings",
            "{Im} 36 weeks and getting cramps every ten minutes",
        ],
        "clinical": [
            "32 weeks' gestation with regular tightenings",
            "pregnant with vaginal bleeding",
        ],
        "non_native": [
            "{I} {am} pregnant, the pain come and go like waves, every few minutes",
            "{I} {am} pregnant and there is blood",
        ],
        "misspelled": [
            "pregnent with bleeding",
            "34 weeks pregnant and contractons in {my} back",
        ],
    },
    "age_new_pain": {
        "lay": [
            "{Im} 17 and {Ive} never had back trouble before",
            "{Ive} never had back pain before and {Im} 63",
            "{Im} 58 and this is the first time {my} back has ever hurt",
            "{Im} 16 and it's {my} first time with back pain",
            "first ever bad back at 67",
            "{Im} 59 and {Ive} never had a bad back in {my} life till now",
            "{Im} 18 and {my} back has never been a problem before this",
        ],
        "clinical": ["first presentation of back pain, age 66", "new-onset back pain at 18"],
        "non_native": [
            "{I} have 55 years and never before pain in the back",
            "{I} am 70 and first time in life the back is hurting",
        ],
        "misspelled": ["{Im} 19 and never had bak pain befor"],
    },
    "not_improving": {
        "lay": [
            "it's been a month and it's no better",
            "five weeks now and it's still the same",
            "six weeks in and it hasn't eased at all",
            "still as bad after seven weeks",
            "it's not shifted in over a month",
            "going on five weeks with no change",
            "two months and it hasn't got any better",
        ],
        "clinical": ["persistent symptoms beyond four weeks without improvement"],
        "non_native": ["already one month and not better", "since 5 weeks the pain is same"],
        "misspelled": ["its been 6 weeks and no beter"],
    },
    "below_knee": {
        "lay": [
            "a shooting pain down {my} leg to {my} calf",
            "tingling in {my} left foot",
            "the pain goes all the way down to {my} ankle on one side",
            "a numb patch on the side of {my} right shin",
            "sciatica down to {my} foot on the left",
        ],
        "clinical": [
            "unilateral radicular pain below the knee",
            "L5 dermatomal paraesthesia in the right leg",
        ],
        "non_native": ["the pain is going down in one leg until the foot"],
        "misspelled": ["shootin pain down to {my} calf", "tingly toes on {my} rite foot"],
    },
    "recurrent_spasms": {
        "lay": [
            "{my} back locks up every few weeks",
            "the spasms keep coming back whatever {I} do",
            "this is the fourth time this year {my} back has gone",
            "{I} get spasms every week",
            "the spasm made {me} fall and {I} hurt {my} wrist",
            "rest, water and eating properly haven't stopped the spasms",
        ],
        "clinical": ["recurrent episodes of lumbar muscle spasm"],
        "non_native": ["again and again {my} back is blocking, every month"],
        "misspelled": ["the spasms keep comming back"],
    },
    "stenosis_pattern": {
        "lay": [
            "{my} legs go heavy after five minutes' walk and it's better when {I} sit",
            "{I} have to lean on the trolley to get round the supermarket",
            "standing in a queue makes {my} legs ache until {I} sit down",
            "{my} legs feel tired and achy when {I} walk and it eases when {I} bend forward",
        ],
        "clinical": ["neurogenic claudication"],
        "non_native": ["when {I} walk some minutes the legs are heavy, sitting is better"],
        "misspelled": ["legs go havy when walking, ok when {I} sit"],
    },
    "not_coping": {
        "lay": [
            "{Im} not coping with this pain",
            "{I} can't do anything and it's getting worse every day",
            "the pain is unbearable and stopping {me} living {my} life",
            "{I} can't work or look after the kids, {Im} at the end of {my} tether",
            "it's getting worse day by day",
        ],
        "clinical": ["worsening pain with significant functional impairment"],
        "non_native": ["{I} cannot do nothing, every day more pain"],
        "misspelled": ["not copeing with the pain any more"],
    },
    "cough_sneeze": {
        "lay": [
            "it really hurts when {I} cough or sneeze",
            "sneezing sends a jolt through {my} back",
            "straining on the toilet makes it much worse",
        ],
        "clinical": ["pain aggravated by coughing and sneezing"],
        "non_native": ["when {I} make cough the back is very pain"],
        "misspelled": ["it hurts when {I} coff"],
    },
}

LEVEL = {
    "saddle_numbness": EMERGENCY,
    "cauda_equina": EMERGENCY,
    "both_legs": EMERGENCY,
    "leg_weakness": EMERGENCY,
    "major_trauma": EMERGENCY,
    "chest_breathless": EMERGENCY,
    "aortic": EMERGENCY,
    "fever_unwell": URGENT,
    "infection_risk": URGENT,
    "cancer_history": URGENT,
    "weight_loss": URGENT,
    "night_rest_pain": URGENT,
    "thoracic": URGENT,
    "fracture_risk": URGENT,
    "lump_deformity": URGENT,
    "pregnancy_labour": URGENT,
    "age_new_pain": DOCTOR,
    "not_improving": DOCTOR,
    "below_knee": DOCTOR,
    "recurrent_spasms": DOCTOR,
    "stenosis_pattern": DOCTOR,
    "not_coping": DOCTOR,
    "cough_sneeze": DOCTOR,
}

# Symptoms that happen now: said about someone else they still count, and a
# time phrase ("since yesterday") keeps them. Histories and risk factors are
# the rest; about someone else they do not count.
ACUTE = frozenset(
    {
        "saddle_numbness",
        "cauda_equina",
        "both_legs",
        "leg_weakness",
        "major_trauma",
        "chest_breathless",
        "aortic",
        "fever_unwell",
        "night_rest_pain",
        "thoracic",
        "lump_deformity",
        "below_knee",
    }
)
TIMED = frozenset(
    {
        "saddle_numbness",
        "cauda_equina",
        "both_legs",
        "leg_weakness",
        "chest_breathless",
        "fever_unwell",
        "below_knee",
    }
)

# How many symptom lines per family and split, by level: emergencies get the
# most because missing one is the worst error.
PER_FAMILY = {
    "fit": {EMERGENCY: 70, URGENT: 40, DOCTOR: 26},
    "test": {EMERGENCY: 60, URGENT: 34, DOCTOR: 22},
}

# ---------------------------------------------------------------------------
# Frames around a symptom ({s}); the symptom may open a sentence or sit inside
# one. Frames never add a flag of their own (no age, no fall, no duration).
# ---------------------------------------------------------------------------

FRAMES = [
    "{s}",
    "back pain and {s}",
    "{s} and my back is in spasm",
    "my back went yesterday and now {s}",
    "put my back out gardening, {s}",
    "{s} since my back spasm started this morning",
    "quick question, {s}, is that to do with my back?",
    "hurt my back lifting a box on tuesday. {s}",
    "{s} ever since my back locked up two days ago",
    "lower back spasm plus {s}",
    "back's been bad since friday and today {s}",
    "{s}. should I be worried?",
    "Hello, I have back ache. Also {s}.",
    "Hi, my back has been in spasm since the weekend and {s}",
    "{s} - what should I do?",
    "my lower back is really sore and {s}",
    "woke up with a stiff back and {s}",
    "{s}, is this just my back spasm?",
    "I twisted awkwardly reaching for something and {s}",
    "back spasm, {s}, help",
]

# Statements of context (histories, risk factors, age, time) read better next
# to a plain sentence about the back than inside a symptom frame.
CONTEXT = frozenset(
    {
        "infection_risk",
        "cancer_history",
        "weight_loss",
        "fracture_risk",
        "pregnancy_labour",
        "age_new_pain",
        "not_improving",
        "recurrent_spasms",
    }
)

CONTEXT_FRAMES = [
    "{S}, and now {b}",
    "{B}. {S}.",
    "{S}. {B}.",
    "{b} - {s}",
    "{S} and {b}",
    "{B}, and {s}. Should I worry?",
    "{S}; {b}",
    "{b}. fyi {s}",
    "{S}. Now {b}, what do I do?",
]

# Timeless sentences about the back (no onset, no duration), for context frames.
BACK = [
    "my lower back aches",
    "my back has gone into spasm",
    "my lower back is stiff and sore",
    "I've got back pain",
    "my back is really tight",
    "my back hurts when I bend",
    "my lower back is in spasm",
    "my back is killing me",
    "the bottom of my back is sore",
    "I've put my back out",
    "my back has locked up",
    "there's a deep ache low in my back",
]

SPASM = [
    "my lower back went into spasm when I bent over to tie my shoelace",
    "I pulled my back hoovering the stairs",
    "back spasm after gardening all day",
    "my back is stiff and sore after a long drive",
    "I tweaked my back picking up the baby",
    "my lower back has cramped up and it's hard to straighten",
    "sore lower back since lifting the shopping yesterday",
    "I slept funny and my back is tight",
    "my back muscles feel like one big knot after moving furniture",
    "a twinge in my lower back when I twist",
    "my back locked when I got out of the car",
    "the muscle next to my spine keeps twitching",
    "lumbago flared up after decorating",
    "put my back out playing five-a-side",
    "I did too much at the gym and my back is tight",
    "my back has been achy for three days after a long shift",
    "stiff back first thing, it eases once I'm moving",
    "it hurts when I bend but I'm walking ok",
    "threw my back out carrying boxes",
    "a low back cramp, worse when I stand up from the sofa",
    "it's sore on the right side of my lower back",
    "my back's spasming a bit after a long day at the desk",
    "I felt something twang in my back while lifting",
    "I've got a crick in my lower back",
    "my back is very tight since yesterday after work",
    "the muscle in my back make cramp when I stand up",
    "lower bak spasm after liftin the washing",
    "my back went when i was hovering",
    "back seized up reaching into the boot of the car",
    "pulled a muscle in my lower back at yoga",
    "sore back after sleeping on a friend's sofa",
    "my lower back feels bruised and tight after a long walk",
    "my back twinged when I picked up the dog's bowl",
    "achy lower back after a day of painting the fence",
    "my back is in a knot after bowling",
    "lower back cramp that comes when I sit too long",
]

# Near misses that a careless detector flags: all self_care (CONTENT.md
# section 3, "must NOT trigger", in fresh words).
DECOYS = [
    "the skin went numb under the ice pack for a while",
    "I'm hot and sweaty because I've had the heat pad on all afternoon",
    "there's a hard knot in the muscle while it spasms",
    "it only hurts when I move a certain way",
    "I'm walking slowly because it hurts to go faster",
    "day two and still sore but easing a little",
    "the ache spreads into my buttock but no further",
    "it's the first time it's ever happened, I'm 35",
    "I'm managing ok with a hot water bottle",
    "I'm pregnant and my back aches after standing at work all day",
    "I fell asleep in the armchair and woke up with a stiff back",
    "my legs are fine, it's just my back",
    "my tummy is fine, it's just my back",
    "I had a cold a couple of months ago, all gone now",
    "I've lost a bit of weight on purpose since January",
    "I'm 38 and it went while I was carrying the shopping",
    "it's a lot better than it was on monday",
    "I bumped my back on the cupboard door, it's a bit bruised",
    "I feel fine in myself, just a stiff back",
    "the bump I can feel is the muscle knotting up when it cramps",
    "it's low down near my belt",
    "I'm sleeping alright once I find a comfy position",
    "the spasm eases when I lie on my side with a pillow between my knees",
]

# ---------------------------------------------------------------------------
# Negations: whole phrases per family, and generic forms over family nouns.
# ---------------------------------------------------------------------------

NEG_PHRASES: dict[str, list[str]] = {
    "saddle_numbness": [
        "no numbness anywhere",
        "my bum and groin feel completely normal",
        "no tingling between my legs",
        "feeling down there is normal",
        "numbness? no",
        "I can feel the loo roll fine when I wipe",
        "no numbness round my back passage or privates",
        "not numb at all down below",
    ],
    "cauda_equina": [
        "I'm peeing fine",
        "no problems with my bladder or bowels",
        "nothing wrong with my bladder",
        "I haven't lost control of anything",
        "bladder and bowels working as normal",
        "no trouble weeing",
        "I've never had any leaking",
        "toilet-wise everything is normal",
        "wee and poo both normal",
        "incontinence? no",
        "I can still feel when I need the loo",
        "I'm not having any accidents",
    ],
    "both_legs": [
        "my legs are fine, it's only my back",
        "no pain or tingling in my legs",
        "no leg symptoms at all",
        "nothing going down my legs",
        "my legs feel normal",
        "neither leg is numb",
    ],
    "leg_weakness": [
        "my legs are strong, just sore",
        "no weakness in my legs",
        "I'm walking slowly only because it hurts",
        "I can stand on my toes and heels fine",
        "no foot drop",
        "my legs aren't weak",
    ],
    "major_trauma": [
        "no fall or accident",
        "I didn't fall, it just went",
        "I haven't had any injury",
        "no trauma, I just bent over",
    ],
    "chest_breathless": [
        "no chest pain and my breathing is fine",
        "my chest is fine",
        "I'm not short of breath",
        "breathing normally, no chest tightness",
    ],
    "aortic": [
        "I didn't faint or feel dizzy",
        "no lumps in my belly",
        "I'm not dizzy or clammy",
        "never passed out",
    ],
    "fever_unwell": [
        "no fever",
        "my temperature is normal, 36.9",
        "I don't feel unwell otherwise",
        "no temperature or shivers",
        "not feverish",
        "I feel well in myself",
    ],
    "infection_risk": [
        "no recent infections",
        "I don't take drugs",
        "I'm not on anything that lowers my immunity",
        "no infections lately",
    ],
    "cancer_history": [
        "I've never had cancer",
        "no history of cancer",
        "I'm scared it might be cancer but I've never had it",
        "cancer? no, never",
    ],
    "weight_loss": ["my weight is stable", "no weight loss", "I haven't lost any weight"],
    "night_rest_pain": [
        "it only hurts when I move",
        "it's fine once I lie on my side",
        "I'm sleeping fine",
        "no pain when I'm resting",
        "stiff for a few minutes in the morning and then it loosens",
    ],
    "thoracic": ["nothing between my shoulder blades", "my upper back is fine"],
}

NEG_NOUNS: dict[str, list[str]] = {
    "saddle_numbness": ["numbness down below", "tingling round my bottom", "numbness in my groin"],
    "cauda_equina": ["bladder problems", "trouble peeing", "leaks", "bowel accidents"],
    "both_legs": ["leg pain", "tingling in my legs"],
    "leg_weakness": ["weakness in my legs", "foot drop"],
    "chest_breathless": ["chest pain", "breathlessness"],
    "fever_unwell": ["fever", "temperature"],
    "major_trauma": ["falls or accidents", "injury"],
    "cancer_history": ["cancer"],
    "weight_loss": ["weight loss"],
}

NEG_FORMS = [
    "no {n}",
    "not had any {n}",
    "never had {n}",
    "without any {n}",
    "{n}? no",
    "{n}: none",
    "there's no {n}",
    "zero {n}",
    "haven't noticed any {n}",
    "no {n} at all",
    "definitely no {n}",
    "no {n} whatsoever",
]

NEG_JOIN = [
    "{sp}, {neg}",
    "{neg}, {sp}",
    "{sp}. {neg}",
    "{neg} - {sp}",
    "{sp} but {neg}",
    "{Neg}. {Sp}.",
]

# Someone else: (relative, pronoun set). Acute symptoms of theirs still count;
# their histories do not count for the writer.
RELATIVES = [
    ("husband", "he"),
    ("wife", "she"),
    ("dad", "he"),
    ("mum", "she"),
    ("son", "he"),
    ("daughter", "she"),
    ("grandad", "he"),
    ("nan", "she"),
    ("brother", "he"),
    ("sister", "she"),
    ("partner", "he"),
    ("flatmate", "she"),
]

OTHER_ACUTE_FRAMES = [
    "asking for my {rel}: {s}",
    "my {rel}'s back went yesterday, {s}. what should we do?",
    "my {rel} hurt {his} back and now {s}",
    "worried about my {rel}, {s}",
    "my {rel} has a bad back and {s}",
    "writing for my {rel} who doesn't speak English, {s}",
    "my {rel} put {his} back out at work, {s}",
    "can you help, my {rel} is in pain with {his} back and {s}",
]

OTHER_HISTORY = [
    "my {rel} had breast cancer",
    "my {rel} died of bowel cancer",
    "my {rel} is on chemo",
    "my {rel} has osteoporosis",
    "my {rel} lost a lot of weight last year",
    "my {rel} had prostate cancer",
    "my {rel} injects drugs, I'm worried about {him}",
    "my {rel} had a kidney infection last week",
    "my {rel} has HIV",
    "my {rel} fell off a ladder last year",
    "cancer runs in my family, my {rel} had it",
    "my {rel} takes steroid tablets",
]

# Old episodes that are over, about the writer: not a flag now.
RESOLVED = [
    "I had a kidney infection about three years ago but it cleared up",
    "years ago I had a fever with flu, long gone",
    "I came off my bike as a teenager, no problems since",
    "after my knee operation two years ago I couldn't pee for a few hours, fine ever since",
    "I lost weight when I was ill as a student, back to normal for years",
    "I broke my ankle skiing in 2015, healed fine",
    "I had a water infection ages ago, treated and gone",
    "I had a chest infection last winter, completely better",
]

TIMES = [
    " since yesterday",
    " since last night",
    " since this morning",
    ", started a few hours ago",
    " for the last two days",
    ", it came and went earlier today",
    " from about lunchtime today",
    " since I woke up",
]

FILLERS = [
    "It started on Sunday when I was lifting the laundry basket.",
    "It came on while I was weeding the front garden.",
    "I work in a warehouse and I'm on my feet all day.",
    "I drive a delivery van for a living.",
    "I've been using a heat pack and taking ibuprofen as it says on the packet.",
    "A hot bath helped a bit last night.",
    "Normally I'm pretty active and go swimming twice a week.",
    "I've been walking round the block to keep it moving.",
    "My GP surgery doesn't open until Monday.",
    "My sister says I should just rest but I'm not sure.",
    "I tried some gentle stretches from a video.",
    "I sit on a hard chair at work all day.",
    "Sitting at my desk makes it stiffer.",
    "We're meant to be going on holiday next week.",
    "I've got two small kids so resting isn't easy.",
    "I've put a pillow between my knees in bed which helps.",
    "I'm not really one for going to the doctor.",
    "My job involves a lot of bending.",
    "I've had the odd twinge before but nothing like this.",
    "I don't want to waste anyone's time.",
]

ENDINGS = [
    "What should I do?",
    "Any advice?",
    "Is this normal?",
    "Do I need to see someone?",
    "Thanks in advance.",
    "Sorry for the long message.",
]

KEYBOARD = {
    "q": "wa",
    "w": "qes",
    "e": "wrd",
    "r": "etf",
    "t": "ryg",
    "y": "tuh",
    "u": "yij",
    "i": "uok",
    "o": "ipl",
    "p": "ol",
    "a": "qsz",
    "s": "awdz",
    "d": "sefx",
    "f": "drgc",
    "g": "fthv",
    "h": "gyjb",
    "j": "hukn",
    "k": "jilm",
    "l": "kop",
    "z": "asx",
    "x": "zsdc",
    "c": "xdfv",
    "v": "cfgb",
    "b": "vghn",
    "n": "bhjm",
    "m": "njk",
}


def split_of(index: int) -> str:
    """Which split the item at ``index`` of a list belongs to: one in three goes to test."""
    return "test" if index % 3 == 1 else "fit"


def part(items: Sequence[str], split: str) -> list[str]:
    """The items of ``items`` that belong to ``split``."""
    return [item for i, item in enumerate(items) if split_of(i) == split]


@dataclass(frozen=True)
class Line:
    """One labelled phrasing."""

    q: str
    level: str
    flag: str | None
    kind: str

    def as_json(self) -> str:
        return json.dumps(
            {"q": self.q, "level": self.level, "flag": self.flag, "kind": self.kind},
            ensure_ascii=False,
        )


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

_TOKEN = re.compile(r"\{([A-Za-z]+)(?:\|([^{}]+))?\}")
_FIRST = {
    "I": "I",
    "my": "my",
    "me": "me",
    "myself": "myself",
    "Im": "I'm",
    "Ive": "I've",
    "have": "have",
    "am": "am",
    "dont": "don't",
}


def _third(pronoun: str) -> dict[str, str]:
    he = pronoun == "he"
    return {
        "I": pronoun,
        "my": "his" if he else "her",
        "me": "him" if he else "her",
        "myself": "himself" if he else "herself",
        "Im": f"{pronoun}'s",
        "Ive": f"{pronoun}'s",
        "have": "has",
        "am": "is",
        "dont": "doesn't",
    }


def render(text: str, pronoun: str | None = None) -> str:
    """Fill pronoun tokens: first person, or third person with ``pronoun`` ("he"/"she")."""
    table = _FIRST if pronoun is None else _third(pronoun)

    def sub(match: re.Match[str]) -> str:
        if match.group(2) is not None:  # {first|third}
            return match.group(1) if pronoun is None else match.group(2)
        return table[match.group(1)]

    return _TOKEN.sub(sub, text)


def cap(text: str) -> str:
    """Upper-case the first letter only."""
    return text[:1].upper() + text[1:]


def frame(template: str, symptom: str) -> str:
    """Put a symptom in a frame, capitalising it where it opens a sentence."""
    out = template.replace("{s}", symptom)
    return re.sub(r"([.?!] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), cap(out))


def typo(text: str, rng: random.Random) -> str:
    """Slip one or two words of five letters or more: drop, swap, double or hit a neighbour key."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    for index in rng.sample(candidates, k=min(len(candidates), rng.choice((1, 1, 2)))):
        word = words[index]
        pos = rng.randrange(1, len(word) - 1)
        edit = rng.choice(("drop", "swap", "double", "neighbour"))
        if edit == "drop":
            word = word[:pos] + word[pos + 1 :]
        elif edit == "swap":
            word = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
        elif edit == "double":
            word = word[:pos] + word[pos] + word[pos:]
        else:
            near = KEYBOARD.get(word[pos].lower(), word[pos])
            word = word[:pos] + rng.choice(near) + word[pos + 1 :]
        words[index] = word
    return " ".join(words)


def maybe_style(text: str, rng: random.Random) -> str:
    """Vary surface style the way messages vary: lower case, no final stop, shouting."""
    roll = rng.random()
    if roll < 0.25:
        return text.lower().rstrip(".")
    if roll < 0.3:
        return text.upper()
    return cap(text)


# ---------------------------------------------------------------------------
# Generators (one per kind of line)
# ---------------------------------------------------------------------------


def symptom_items(family: str, split: str) -> list[tuple[str, str]]:
    """(wording, style) pairs of a family that belong to ``split``."""
    items = []
    for style, wordings in WORDINGS[family].items():
        items += [(w, style) for w in part(wordings, split)]
    return items


def gen_symptoms(split: str, rng: random.Random) -> Iterator[Line]:
    """Symptom x wording x frame, time phrases and typos, per family."""
    frames = part(FRAMES, split)
    context_frames = part(CONTEXT_FRAMES, split)
    backs = part(BACK, split)
    times = part(TIMES, split)
    for family, level in LEVEL.items():
        items = symptom_items(family, split)
        pool = context_frames if family in CONTEXT else frames
        # Every wording once before any twice, each time in a different frame.
        rng.shuffle(items)
        combos = []
        for round_ in range(len(pool)):
            for i, (w, s) in enumerate(items):
                combos.append((w, s, pool[(i + round_) % len(pool)]))
        quota = PER_FAMILY[split][level]
        for n, (wording, style, template) in enumerate(combos[:quota]):
            symptom = render(wording)
            kind = style
            if family in TIMED and n % 4 == 1:
                symptom += rng.choice(times)
                kind = "time"
            elif n % 5 == 3:
                symptom = typo(symptom, rng)
                kind = "typo"
            if family in CONTEXT:
                b = rng.choice(backs)
                text = template.format(s=symptom, S=cap(symptom), b=b, B=cap(b))
            else:
                text = frame(template, symptom)
            yield Line(maybe_style(text, rng), level, family, kind)


def gen_other_person(split: str, rng: random.Random) -> Iterator[Line]:
    """Acute symptoms of someone else (still count) and their histories (do not)."""
    relatives = part(RELATIVES, split)
    frames = part(OTHER_ACUTE_FRAMES, split)
    for family in sorted(ACUTE):
        items = symptom_items(family, split)
        for wording, _style in rng.sample(items, k=min(len(items), 6)):
            rel, pronoun = rng.choice(relatives)
            his = "his" if pronoun == "he" else "her"
            text = rng.choice(frames).format(rel=rel, his=his, s=render(wording, pronoun))
            yield Line(maybe_style(text, rng), LEVEL[family], family, "other_person")
    spasms = part(SPASM, split)
    for template in part(OTHER_HISTORY, split):
        for _ in range(6):
            rel, pronoun = rng.choice(relatives)
            him = "him" if pronoun == "he" else "her"
            history = template.format(rel=rel, him=him)
            text = rng.choice(("{h}. {sp}", "{sp}. {h}", "{h}, and {sp}")).format(
                h=cap(history) if rng.random() < 0.5 else history, sp=rng.choice(spasms)
            )
            yield Line(maybe_style(text, rng), SELF_CARE, None, "other_person")


def gen_history(split: str, rng: random.Random) -> Iterator[Line]:
    """Own histories: cancer counts however long ago; episodes that are over do not."""
    spasms = part(SPASM, split)
    ago = part(
        ["last year", "ten years ago", "in 2015", "when I was 40", "a long time ago", "in my 30s"],
        split,
    )
    cancers = part(
        [
            "breast cancer",
            "bowel cancer",
            "prostate cancer",
            "lung cancer",
            "a lymphoma",
            "kidney cancer",
        ],
        split,
    )
    for cancer in cancers:
        for when in ago:
            sp = rng.choice(spasms)
            text = rng.choice(("I had {c} {w}. Now {sp}", "{sp}. I had {c} {w}")).format(
                c=cancer, w=when, sp=sp
            )
            yield Line(maybe_style(text, rng), URGENT, "cancer_history", "history")
    for event in part(RESOLVED, split):
        for _ in range(3):
            sp = rng.choice(spasms)
            text = rng.choice(("{e}. Now {sp}", "{sp}. {e}")).format(e=event, sp=sp)
            yield Line(maybe_style(text, rng), SELF_CARE, None, "history")


def negations(split: str) -> list[tuple[str, str]]:
    """(family, negation phrase) pairs of ``split``: whole phrases and generic forms."""
    out = [(fam, p) for fam, phrases in NEG_PHRASES.items() for p in part(phrases, split)]
    forms = part(NEG_FORMS, split)
    for family, nouns in NEG_NOUNS.items():
        for noun in nouns:
            for form in forms:
                out.append((family, form.replace("{n}", noun)))
    return out


# Families whose denial can contradict another's symptom, so a line never
# denies one and claims the other.
OVERLAPS = (
    frozenset({"both_legs", "leg_weakness", "below_knee", "stenosis_pattern"}),
    frozenset({"major_trauma", "fracture_risk"}),
)


def distinct_families(
    negs: list[tuple[str, str]], k: int, rng: random.Random
) -> list[tuple[str, str]]:
    """``k`` negation phrases about ``k`` different families."""
    families = rng.sample(sorted({fam for fam, _ in negs}), k=k)
    return [rng.choice([n for n in negs if n[0] == fam]) for fam in families]


def gen_negated(split: str, rng: random.Random) -> Iterator[Line]:
    """Plain spasms with one or more flags denied: self_care; plus one real flag: its level."""
    negs = negations(split)
    spasms = part(SPASM, split)
    joins = part(NEG_JOIN, split) + ["{sp}, {neg}"]
    quota = {"fit": 330, "test": 230}[split]
    for n in range(quota):
        chosen = distinct_families(negs, rng.choice((1, 1, 2, 3)), rng)
        neg = (
            ", ".join(p for _, p in chosen)
            if len(chosen) < 3
            else (f"{chosen[0][1]}, {chosen[1][1]} and {chosen[2][1]}")
        )
        sp = rng.choice(spasms)
        text = rng.choice(joins).format(sp=sp, Sp=cap(sp), neg=neg, Neg=cap(neg))
        kind = "negated"
        if n % 7 == 5:
            text = typo(text, rng)
            kind = "negated_typo"
        yield Line(maybe_style(text, rng), SELF_CARE, None, kind)
    # A denial next to a different, real flag: the real one decides.
    for _ in range(quota // 4):
        denied_family, phrase = rng.choice(negs)
        family = rng.choice([f for f in LEVEL if f != denied_family])
        items = symptom_items(family, split)
        wording, _style = rng.choice(items)
        text = rng.choice(("{neg}, but {s}", "{s}, but {neg}", "{s}. {Neg}.")).format(
            neg=phrase, Neg=cap(phrase), s=render(wording)
        )
        styled = maybe_style(text, rng)
        if any(denied_family in group and family in group for group in OVERLAPS):
            continue  # "my legs are fine" next to calf pain contradicts itself
        yield Line(styled, LEVEL[family], family, "negated_mixed")


def gen_self_care(split: str, rng: random.Random) -> Iterator[Line]:
    """Plain spasm messages and near misses."""
    spasms = part(SPASM, split)
    decoys = part(DECOYS, split)
    endings = part(ENDINGS, split)
    for sp in spasms:
        for _ in range(3):
            text = rng.choice(("{sp}", "{sp}. {e}", "{Sp}, {d}", "{sp}, {d}. {e}")).format(
                sp=sp, Sp=cap(sp), d=rng.choice(decoys), e=rng.choice(endings)
            )
            yield Line(maybe_style(text, rng), SELF_CARE, None, "self_care")
    for decoy in decoys:
        for _ in range(4):
            text = rng.choice(("{d}. {sp}", "{sp} - {d}", "{Sp}. {D}. {e}")).format(
                d=decoy,
                D=cap(decoy),
                sp=rng.choice(spasms),
                Sp=cap(rng.choice(spasms)),
                e=rng.choice(endings),
            )
            yield Line(maybe_style(text, rng), SELF_CARE, None, "decoy")


def gen_narratives(split: str, rng: random.Random) -> Iterator[Line]:
    """Long messages with the flag (or a denial, or nothing) in the middle."""
    fillers = part(FILLERS, split)
    endings = part(ENDINGS, split)
    negs = negations(split)
    spasms = part(SPASM, split)
    quota = {"fit": 220, "test": 160}[split]
    # A month-long story contradicts the fillers' "it started on Sunday".
    families = [f for f in LEVEL if f != "not_improving"]
    for n in range(quota):
        before = rng.sample(fillers, k=2)
        after = rng.sample([f for f in fillers if f not in before], k=rng.choice((1, 2)))
        opening = cap(rng.choice(spasms)) + "."
        if n % 3 == 2:
            middle = cap(rng.choice(negs)[1]) + "."
            level, flag, kind = SELF_CARE, None, "narrative_negated"
        elif n % 3 == 1 and n % 2 == 0:
            middle = ""
            level, flag, kind = SELF_CARE, None, "narrative_self_care"
        else:
            family = families[n % len(families)]
            wording, _style = rng.choice(symptom_items(family, split))
            middle = cap(render(wording)) + "."
            level, flag, kind = LEVEL[family], family, "narrative"
        parts = [opening, *before, middle, *after, rng.choice(endings)]
        yield Line(" ".join(p for p in parts if p), level, flag, kind)


def gen_combined(split: str, rng: random.Random) -> Iterator[Line]:
    """Two flags in one message: the more urgent decides."""
    families = list(LEVEL)
    for _ in range({"fit": 80, "test": 60}[split]):
        a, b = rng.sample(families, k=2)
        wa, _ = rng.choice(symptom_items(a, split))
        wb, _ = rng.choice(symptom_items(b, split))
        text = rng.choice(("{a} and {b}", "{a}. Also {b}", "{a}, {b}, back pain")).format(
            a=cap(render(wa)), b=render(wb)
        )
        top = a if RANK[LEVEL[a]] >= RANK[LEVEL[b]] else b
        yield Line(maybe_style(text, rng), LEVEL[top], top, "combined")


GENERATORS: list[Callable[[str, random.Random], Iterator[Line]]] = [
    gen_symptoms,
    gen_other_person,
    gen_history,
    gen_negated,
    gen_self_care,
    gen_narratives,
    gen_combined,
]


def fold(text: str) -> str:
    """The form two messages are compared in: lower case, whitespace folded."""
    return " ".join(text.lower().split())


def build() -> dict[str, list[Line]]:
    """Both splits; no folded message appears twice or in both splits."""
    out: dict[str, list[Line]] = {}
    seen: set[str] = set()
    for split in SPLITS:
        rng = random.Random(f"{SEED}-{split}")
        lines: list[Line] = []
        for gen in GENERATORS:
            for line in gen(split, rng):
                key = fold(line.q)
                if key in seen:
                    continue
                seen.add(key)
                lines.append(line)
        rng.shuffle(lines)
        out[split] = lines
    return out


def render_files() -> dict[Path, str]:
    """File path -> the exact text to write."""
    return {
        OUT_DIR / f"generated_{split}.jsonl": "".join(line.as_json() + "\n" for line in lines)
        for split, lines in build().items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the files differ from what would be written"
    )
    args = parser.parse_args(argv)
    files = render_files()
    if args.check:
        stale = [p for p, text in files.items() if not p.exists() or p.read_text("utf-8") != text]
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date; run python tuning/triage_phrasings.py")
        return 1 if stale else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
