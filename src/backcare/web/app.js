// backcare web page: talks only to the HTTP API.
// Every text from the knowledge base or the server goes into the page through
// textContent, never parsed as HTML, so an entry containing <script> shows as text.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  // UI strings come from i18n.js, in the page's language.
  const i18n = window.backcareI18n;
  const t = i18n.t;
  const LOUD = { emergency: true, urgent: true, doctor: false, self_care: false };

  let lastReply = null;
  // What the banner's follow-up answers are about: the message (null for the checklist
  // alone), the reply's language, and every answer given so far.
  let interview = { q: null, lang: null, answers: {} };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  async function postJson(path, body, accept) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: accept || "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      let message = "The server could not answer (" + response.status + ").";
      try {
        const data = await response.json();
        if (data && data.error && data.error.message) message = data.error.message;
      } catch (_ignored) {
        // not JSON: keep the generic message
      }
      throw new Error(message);
    }
    return response;
  }

  // Answer text is plain text: blank lines end paragraphs, "- " lines are bullets.
  function renderText(container, text) {
    clear(container);
    let paragraph = [];
    let list = null;
    const flush = () => {
      if (paragraph.length) container.appendChild(el("p", paragraph.join(" ")));
      paragraph = [];
    };
    for (const line of String(text).split("\n")) {
      const bullet = /^\s*[-*•]\s+/.exec(line);
      if (bullet) {
        flush();
        if (!list) {
          list = el("ul");
          container.appendChild(list);
        }
        list.appendChild(el("li", line.slice(bullet[0].length)));
      } else if (line.trim() === "") {
        flush();
        list = null;
      } else {
        list = null;
        paragraph.push(line.trim());
      }
    }
    flush();
  }

  // One yes/no group per question: a fieldset whose legend is the question, so each
  // pair of radio buttons is announced with its question.
  function renderQuestions(container, questions, prefix) {
    clear(container);
    for (const question of questions) {
      const group = el("fieldset", null, "question");
      group.dataset.question = question.id;
      const legend = el("legend", question.question);
      legend.dir = "auto"; // a question left in English keeps its punctuation on an RTL page
      group.appendChild(legend);
      for (const [value, key] of [["yes", "yes"], ["no", "no"]]) {
        const label = el("label", null, "choice");
        const input = el("input");
        input.type = "radio";
        input.name = prefix + question.id;
        input.value = value;
        label.appendChild(input);
        label.appendChild(el("span", t(key)));
        group.appendChild(label);
      }
      container.appendChild(group);
    }
  }

  function collectAnswers(container) {
    const answers = {};
    for (const group of container.querySelectorAll("fieldset[data-question]")) {
      const picked = group.querySelector("input:checked");
      if (picked) answers[group.dataset.question] = picked.value === "yes";
    }
    return answers;
  }

  function showTriage(triage, answered) {
    const banner = $("triage");
    const level = triage.level in LOUD ? triage.level : "self_care";
    // An unchecked language is never a quiet all-clear: it is shown like an urgent finding.
    const unchecked = triage.checked === false;
    const shown = unchecked && level === "self_care" ? "urgent" : level;
    banner.className = "triage triage-" + shown;
    if (LOUD[shown]) {
      banner.setAttribute("role", "alert");
    } else {
      banner.removeAttribute("role");
    }
    $("triage-title").textContent = unchecked && level === "self_care" ? t("unchecked") : t(level);
    renderText($("triage-message"), triage.message);
    const flags = $("triage-flags");
    clear(flags);
    for (const flag of triage.flags || []) {
      const said = flag.layer === "answer" ? t("youAnswered", flag.evidence) : t("youSaid", flag.evidence);
      flags.appendChild(el("li", said));
    }
    const followUp = triage.follow_up || [];
    renderQuestions($("follow-up-questions"), followUp, "follow-up-");
    $("follow-up").hidden = followUp.length === 0;
    $("follow-up-status").textContent = "";
    // After answers the banner stays, even for self-care: it is where the result shows.
    banner.hidden = shown === "self_care" && !answered && followUp.length === 0;
  }

  async function checkAnswers(answers, status) {
    const body = { answers: interview.answers };
    Object.assign(body.answers, answers);
    if (interview.q !== null) body.q = interview.q;
    if (interview.lang) body.lang = interview.lang;
    const response = await postJson("/v1/triage", body);
    const triage = await response.json();
    showTriage(triage, true);
    // The answer card's self-care line would now contradict or repeat the banner.
    $("self-care-note").hidden = true;
    status.textContent = t("answersChecked");
    $("triage").focus();
  }

  async function submitFollowUp() {
    const status = $("follow-up-status");
    const answers = collectAnswers($("follow-up-questions"));
    if (Object.keys(answers).length === 0) {
      status.textContent = t("answerOne");
      return;
    }
    const button = $("follow-up-submit");
    button.disabled = true;
    try {
      await checkAnswers(answers, status);
      // The form is gone once every question is answered: say so where it stays visible.
      if ($("follow-up").hidden) $("ask-status").textContent = t("answersChecked");
    } catch (error) {
      status.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  }

  async function openSigns() {
    const section = $("signs");
    const button = $("signs-button");
    const status = $("signs-status");
    if (!section.hidden) {
      section.hidden = true;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    status.textContent = "";
    try {
      const response = await fetch("/v1/triage/questions?lang=" + encodeURIComponent(i18n.lang), {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error("The server could not answer (" + response.status + ").");
      const data = await response.json();
      renderQuestions($("signs-questions"), data.questions, "signs-");
      section.hidden = false;
      button.setAttribute("aria-expanded", "true");
      const first = section.querySelector("input");
      if (first) first.focus();
    } catch (error) {
      $("ask-status").textContent = error.message;
    }
  }

  async function submitSigns() {
    const status = $("signs-status");
    const answers = collectAnswers($("signs-questions"));
    if (Object.keys(answers).length === 0) {
      status.textContent = t("answerOne");
      return;
    }
    // With a message already asked, the checklist adds to it; alone, it stands alone.
    interview = {
      q: lastReply ? lastReply.query : null,
      lang: lastReply ? lastReply.triage.lang : i18n.lang,
      answers: {},
    };
    $("signs-submit").disabled = true;
    try {
      await checkAnswers(answers, status);
    } catch (error) {
      status.textContent = error.message;
    } finally {
      $("signs-submit").disabled = false;
    }
  }

  function relatedLink(alt) {
    const item = el("li");
    const link = el("a", alt.question);
    link.dir = "auto"; // an English question keeps its punctuation on a right-to-left page
    // The question travels in the fragment, which never reaches the server or its logs.
    link.href = "#q=" + encodeURIComponent(alt.question);
    link.dataset.question = alt.question;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      $("q").value = alt.question;
      ask(alt.question);
    });
    item.appendChild(link);
    return item;
  }

  function showReply(reply) {
    lastReply = reply;
    interview = { q: reply.query, lang: reply.triage.lang, answers: {} };
    showTriage(reply.triage, false);
    const answer = reply.answer;
    const sourcesBlock = $("answer-sources-block");
    const sources = $("answer-sources");
    clear(sources);
    if (answer) {
      $("answer-question").textContent = answer.question;
      renderText($("answer-text"), answer.text);
      $("answer-confidence").textContent =
        t("confidence", Math.round(answer.confidence * 100)) + " · " + reply.kb;
      for (const source of answer.sources) {
        const item = el("li");
        const link = el("a", source.title);
        link.dir = "auto";
        // Only http(s) links become clickable; anything else is shown as text.
        if (/^https?:\/\//i.test(source.url)) {
          link.href = source.url;
          link.rel = "noopener noreferrer";
          item.appendChild(link);
        } else {
          item.appendChild(el("span", source.title + " (" + source.url + ")"));
        }
        sources.appendChild(item);
      }
      sourcesBlock.hidden = answer.sources.length === 0;
    } else {
      $("answer-question").textContent = t("noAnswerTitle");
      renderText($("answer-text"), t("noAnswerText"));
      $("answer-confidence").textContent = t("noAnswer") + " · " + reply.kb;
      sourcesBlock.hidden = true;
    }
    // Pack answers are written in English; say so in the page's language.
    $("english-only").hidden = !answer || i18n.lang === "en";
    const note = $("self-care-note");
    note.textContent = reply.triage.message;
    note.hidden =
      reply.triage.level !== "self_care" || reply.triage.checked === false || !reply.triage.message;

    const related = $("related-list");
    clear(related);
    $("related-heading").textContent = answer ? t("related") : t("closest");
    for (const alt of reply.alternatives) related.appendChild(relatedLink(alt));
    $("related").hidden = reply.alternatives.length === 0;

    for (const button of document.querySelectorAll(".rate")) {
      button.disabled = false;
      button.setAttribute("aria-pressed", "false");
    }
    $("feedback-status").textContent = "";
    $("result").hidden = false;
  }

  async function ask(question) {
    const status = $("ask-status");
    if (!question.trim()) {
      status.textContent = t("typeFirst");
      $("q").focus();
      return;
    }
    status.textContent = t("looking");
    $("ask-button").disabled = true;
    try {
      const body = { q: question, top_k: 4 };
      if (i18n.requestLang) body.lang = i18n.requestLang;
      const response = await postJson("/v1/ask", body);
      showReply(await response.json());
      status.textContent = t("ready");
      const hash = "#q=" + encodeURIComponent(question);
      if (window.location.hash !== hash) window.history.pushState(null, "", hash);
    } catch (error) {
      status.textContent = error.message;
    } finally {
      $("ask-button").disabled = false;
    }
  }

  async function rate(button) {
    if (!lastReply) return;
    const status = $("feedback-status");
    const body = {
      q: lastReply.query,
      entry_id: lastReply.answer ? lastReply.answer.entry_id : null,
      rating: button.dataset.rating,
    };
    try {
      await postJson("/v1/feedback", body);
      for (const other of document.querySelectorAll(".rate")) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      }
      status.textContent = t("thanks");
    } catch (error) {
      status.textContent = error.message;
    }
  }

  function planBody() {
    const body = { onset: $("onset").value };
    const age = $("age").value.trim();
    if (age !== "") body.age = Number(age);
    const question = $("q").value.trim();
    if (question !== "") body.q = question;
    return body;
  }

  function listOf(title, items) {
    const block = el("div");
    block.appendChild(el("h5", title));
    const list = el("ul");
    for (const item of items) list.appendChild(el("li", item));
    block.appendChild(list);
    return block;
  }

  function showPlan(plan) {
    $("plan-headline").textContent = plan.headline;
    $("plan").className = plan.suppressed ? "plan plan-suppressed" : "plan";
    $("plan-today").textContent = plan.suppressed
      ? ""
      : "Today is day " + plan.day + " since it started (" + plan.onset + ").";
    const current = $("plan-current");
    clear(current);
    const phase = (plan.phases || []).find((p) => p.id === plan.current_phase);
    if (phase) {
      current.appendChild(el("h4", "Now: " + phase.title));
      current.appendChild(el("p", phase.focus));
      current.appendChild(listOf("What to do", phase.do));
      current.appendChild(listOf("What to expect", phase.expect));
      current.appendChild(listOf("Get help if", phase.escalate));
    }
    $("plan-doctor").textContent = plan.suppressed
      ? ""
      : "If it is not clearly better, see a doctor by " + plan.see_doctor_by + ".";
    const notes = $("plan-notes");
    clear(notes);
    for (const note of plan.notes || []) notes.appendChild(el("li", note));
    const days = $("plan-days");
    clear(days);
    for (const day of plan.days || []) {
      let text = day.date + " (day " + day.day + "): " + day.focus;
      if (day.checkin) text += " Check in: how is it going?";
      if (day.see_doctor) text += " See a doctor if it is not better.";
      days.appendChild(el("li", text));
    }
    const count = (plan.days || []).length;
    $("plan-days-heading").textContent = "Day by day (" + count + " days)";
    $("plan-days-block").hidden = count === 0;
    $("plan-ics").hidden = plan.suppressed;
    $("plan").hidden = false;
  }

  async function makePlan() {
    const status = $("plan-status");
    if (!$("onset").value) {
      status.textContent = "Enter the date the spasm started.";
      $("onset").focus();
      return;
    }
    status.textContent = "Making your plan…";
    try {
      const response = await postJson("/v1/careplan", planBody());
      showPlan(await response.json());
      status.textContent = "Your plan is ready.";
    } catch (error) {
      status.textContent = error.message;
    }
  }

  async function downloadIcs() {
    const status = $("plan-status");
    try {
      const response = await postJson("/v1/careplan?format=ics", planBody(), "text/calendar");
      const blob = new Blob([await response.text()], { type: "text/calendar" });
      const url = URL.createObjectURL(blob);
      const link = el("a");
      link.href = url;
      link.download = "backcare-care-plan.ics";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status.textContent = "Calendar file downloaded.";
    } catch (error) {
      status.textContent = error.message;
    }
  }

  function init() {
    i18n.apply();
    $("lang-picker").addEventListener("change", (event) => i18n.choose(event.target.value));
    // A new language re-asks the last question, so triage and texts come in it.
    document.addEventListener("backcare:language", () => {
      if (lastReply) ask(lastReply.query);
      if (!$("signs").hidden) {
        $("signs").hidden = true;
        openSigns();
      }
    });
    $("follow-up").addEventListener("submit", (event) => {
      event.preventDefault();
      submitFollowUp();
    });
    $("signs-button").addEventListener("click", openSigns);
    $("signs-form").addEventListener("submit", (event) => {
      event.preventDefault();
      submitSigns();
    });
    $("ask-form").addEventListener("submit", (event) => {
      event.preventDefault();
      ask($("q").value);
    });
    // Enter asks; Shift+Enter adds a line.
    $("q").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        ask($("q").value);
      }
    });
    for (const button of document.querySelectorAll(".rate")) {
      button.addEventListener("click", () => rate(button));
    }
    $("plan-form").addEventListener("submit", (event) => {
      event.preventDefault();
      makePlan();
    });
    $("plan-ics").addEventListener("click", downloadIcs);
    const askFromHash = () => {
      const q = new URLSearchParams(window.location.hash.slice(1)).get("q");
      if (q && q !== $("q").value) {
        $("q").value = q;
        ask(q);
      }
    };
    window.addEventListener("popstate", askFromHash);
    window.addEventListener("hashchange", askFromHash);
    askFromHash();
  }

  init();
})();
