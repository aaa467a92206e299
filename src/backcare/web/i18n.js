// backcare web page: the interface in the languages backcare checks for warning signs.
// The page follows the browser (navigator.languages) until the person picks a language;
// the pick is kept in localStorage. Arabic switches the whole page to right-to-left.
// Server texts (answers, triage) come in the reply's own language, not from here.
"use strict";

(function () {
  const STRINGS = {
    en: {
      skip: "Skip to the question box",
      intro:
        "Answers about lower back spasms from a vetted knowledge pack. Red flags are checked first. This is not a diagnosis: if you are worried, contact a doctor.",
      language: "Language",
      askHeading: "Ask a question",
      qLabel: "Your question, or what is happening",
      qHint: "For example: “my back locked up this morning, what helps right now?”",
      ask: "Ask",
      emergency: "Emergency: get help now",
      urgent: "Urgent: see a doctor today",
      doctor: "See a doctor",
      self_care: "Self-care",
      unchecked: "Warning signs not checked",
      youSaid: "You said: “{0}”",
      typeFirst: "Type a question first.",
      looking: "Looking for an answer…",
      ready: "Answer ready.",
      confidence: "Confidence: {0}%",
      noAnswerTitle: "I don't have a good answer to that",
      noAnswerText:
        "This knowledge base has no confident answer to your question. The closest topics are listed below.",
      noAnswer: "No confident answer",
      englishOnly: "",
      sources: "Sources",
      related: "Related questions",
      closest: "Closest topics",
      helpfulQ: "Was this answer helpful?",
      helpful: "Helpful",
      notHelpful: "Not helpful",
      wrong: "Wrong",
      thanks: "Thank you, your feedback was recorded.",
      planHeading: "Your care plan",
      planHint:
        "Tell us when the spasm started and get a day-by-day plan you can add to your calendar.",
      onset: "When did it start?",
      age: "Your age (optional)",
      planButton: "Make my plan",
      checkSigns: "Check my warning signs",
      signsHeading: "Check my warning signs",
      signsHint:
        "Answer what you can. A yes to any of these means you should get help; the result shows how fast.",
      followUpLegend: "A few questions to tell how urgent this is",
      checkAnswers: "Check my answers",
      yes: "Yes",
      no: "No",
      answersChecked: "Your answers were checked; the warning-sign banner shows the result.",
      answerOne: "Answer at least one question first.",
      youAnswered: "You answered yes: “{0}”",
      emergencyNumbers: "In an emergency call 999 (UK), 112 (EU) or 911 (US).",
    },
    es: {
      skip: "Ir a la casilla de la pregunta",
      intro:
        "Respuestas sobre espasmos en la parte baja de la espalda a partir de un paquete de información revisado. Primero se comprueban las señales de alarma. No es un diagnóstico: si te preocupa, consulta a un médico.",
      language: "Idioma",
      askHeading: "Haz una pregunta",
      qLabel: "Tu pregunta, o lo que te está pasando",
      qHint: "Por ejemplo: «se me ha bloqueado la espalda esta mañana, ¿qué me alivia ahora?»",
      ask: "Preguntar",
      emergency: "Urgencia: busca ayuda ya",
      urgent: "Urgente: que te vea un médico hoy",
      doctor: "Consulta a un médico",
      self_care: "Cuidados en casa",
      unchecked: "No se han revisado las señales de alarma",
      youSaid: "Has escrito: «{0}»",
      typeFirst: "Escribe primero una pregunta.",
      looking: "Buscando una respuesta…",
      ready: "Respuesta lista.",
      confidence: "Confianza: {0}%",
      noAnswerTitle: "No tengo una buena respuesta para eso",
      noAnswerText:
        "Esta base de conocimiento no tiene una respuesta fiable a tu pregunta. Abajo están los temas más cercanos.",
      noAnswer: "Sin respuesta fiable",
      englishOnly: "Esta respuesta solo está disponible en inglés por ahora.",
      sources: "Fuentes",
      related: "Preguntas relacionadas",
      closest: "Temas más cercanos",
      helpfulQ: "¿Te ha servido esta respuesta?",
      helpful: "Útil",
      notHelpful: "No útil",
      wrong: "Incorrecta",
      thanks: "Gracias, hemos guardado tu opinión.",
      planHeading: "Tu plan de cuidados",
      planHint:
        "Dinos cuándo empezó el espasmo y te daremos un plan día a día que puedes añadir a tu calendario.",
      onset: "¿Cuándo empezó?",
      age: "Tu edad (opcional)",
      planButton: "Crear mi plan",
      checkSigns: "Revisar mis señales de alarma",
      signsHeading: "Revisar mis señales de alarma",
      signsHint:
        "Responde lo que puedas. Un sí a cualquiera de estas preguntas significa que debes buscar ayuda; el resultado dice con qué rapidez.",
      followUpLegend: "Unas preguntas para saber qué tan urgente es",
      checkAnswers: "Comprobar mis respuestas",
      yes: "Sí",
      no: "No",
      answersChecked: "Hemos revisado tus respuestas; el aviso de señales de alarma muestra el resultado.",
      answerOne: "Responde primero al menos una pregunta.",
      youAnswered: "Respondiste que sí: «{0}»",
      emergencyNumbers: "En una urgencia llama al 112 (UE), 999 (Reino Unido) o 911 (EE. UU.).",
    },
    fr: {
      skip: "Aller à la zone de question",
      intro:
        "Des réponses sur les spasmes du bas du dos, tirées d'un ensemble d'informations vérifiées. Les signes d'alerte sont vérifiés d'abord. Ce n'est pas un diagnostic : en cas d'inquiétude, consultez un médecin.",
      language: "Langue",
      askHeading: "Poser une question",
      qLabel: "Votre question, ou ce qui vous arrive",
      qHint: "Par exemple : « mon dos s'est bloqué ce matin, qu'est-ce qui soulage tout de suite ? »",
      ask: "Demander",
      emergency: "Urgence : obtenez de l'aide maintenant",
      urgent: "Urgent : voyez un médecin aujourd'hui",
      doctor: "Consultez un médecin",
      self_care: "Soins à la maison",
      unchecked: "Signes d'alerte non vérifiés",
      youSaid: "Vous avez écrit : « {0} »",
      typeFirst: "Écrivez d'abord une question.",
      looking: "Recherche d'une réponse…",
      ready: "Réponse prête.",
      confidence: "Confiance : {0} %",
      noAnswerTitle: "Je n'ai pas de bonne réponse à cela",
      noAnswerText:
        "Cette base de connaissances n'a pas de réponse fiable à votre question. Les sujets les plus proches sont listés ci-dessous.",
      noAnswer: "Pas de réponse fiable",
      englishOnly: "Cette réponse n'existe pour l'instant qu'en anglais.",
      sources: "Sources",
      related: "Questions proches",
      closest: "Sujets les plus proches",
      helpfulQ: "Cette réponse vous a-t-elle aidé ?",
      helpful: "Utile",
      notHelpful: "Pas utile",
      wrong: "Fausse",
      thanks: "Merci, votre avis a été enregistré.",
      planHeading: "Votre plan de soins",
      planHint:
        "Dites-nous quand le spasme a commencé et recevez un plan jour par jour à ajouter à votre agenda.",
      onset: "Quand cela a-t-il commencé ?",
      age: "Votre âge (facultatif)",
      planButton: "Créer mon plan",
      checkSigns: "Vérifier mes signes d'alerte",
      signsHeading: "Vérifier mes signes d'alerte",
      signsHint:
        "Répondez à ce que vous pouvez. Un oui à l'une de ces questions veut dire qu'il faut demander de l'aide ; le résultat dit dans quel délai.",
      followUpLegend: "Quelques questions pour savoir à quel point c'est urgent",
      checkAnswers: "Vérifier mes réponses",
      yes: "Oui",
      no: "Non",
      answersChecked: "Vos réponses ont été vérifiées ; le bandeau des signes d'alerte montre le résultat.",
      answerOne: "Répondez d'abord à au moins une question.",
      youAnswered: "Vous avez répondu oui : « {0} »",
      emergencyNumbers: "En cas d'urgence, appelez le 15 ou le 112 (999 au Royaume-Uni).",
    },
    de: {
      skip: "Zum Fragefeld springen",
      intro:
        "Antworten zu Krämpfen im unteren Rücken aus einer geprüften Wissenssammlung. Warnzeichen werden zuerst geprüft. Das ist keine Diagnose: Wenn Sie sich Sorgen machen, wenden Sie sich an eine Ärztin oder einen Arzt.",
      language: "Sprache",
      askHeading: "Eine Frage stellen",
      qLabel: "Ihre Frage, oder was gerade passiert",
      qHint: "Zum Beispiel: „Mein Rücken ist heute früh blockiert, was hilft sofort?“",
      ask: "Fragen",
      emergency: "Notfall: Holen Sie sich jetzt Hilfe",
      urgent: "Dringend: heute ärztlich untersuchen lassen",
      doctor: "Zur Ärztin oder zum Arzt",
      self_care: "Selbstversorgung",
      unchecked: "Warnzeichen nicht geprüft",
      youSaid: "Sie schrieben: „{0}“",
      typeFirst: "Bitte zuerst eine Frage eingeben.",
      looking: "Antwort wird gesucht…",
      ready: "Antwort bereit.",
      confidence: "Sicherheit: {0} %",
      noAnswerTitle: "Darauf habe ich keine gute Antwort",
      noAnswerText:
        "Diese Wissensbasis hat keine verlässliche Antwort auf Ihre Frage. Die nächstliegenden Themen stehen unten.",
      noAnswer: "Keine verlässliche Antwort",
      englishOnly: "Diese Antwort gibt es vorerst nur auf Englisch.",
      sources: "Quellen",
      related: "Ähnliche Fragen",
      closest: "Nächstliegende Themen",
      helpfulQ: "War diese Antwort hilfreich?",
      helpful: "Hilfreich",
      notHelpful: "Nicht hilfreich",
      wrong: "Falsch",
      thanks: "Danke, Ihre Rückmeldung wurde gespeichert.",
      planHeading: "Ihr Versorgungsplan",
      planHint:
        "Sagen Sie uns, wann der Krampf begann, und Sie bekommen einen Plan für jeden Tag, den Sie in Ihren Kalender übernehmen können.",
      onset: "Wann hat es angefangen?",
      age: "Ihr Alter (freiwillig)",
      planButton: "Plan erstellen",
      checkSigns: "Meine Warnzeichen prüfen",
      signsHeading: "Meine Warnzeichen prüfen",
      signsHint:
        "Beantworten Sie, was Sie können. Ein Ja bei einer dieser Fragen heißt, dass Sie Hilfe brauchen; das Ergebnis sagt, wie schnell.",
      followUpLegend: "Ein paar Fragen, um zu sehen, wie dringend es ist",
      checkAnswers: "Antworten prüfen",
      yes: "Ja",
      no: "Nein",
      answersChecked: "Ihre Antworten wurden geprüft; der Hinweis zu Warnzeichen zeigt das Ergebnis.",
      answerOne: "Bitte zuerst mindestens eine Frage beantworten.",
      youAnswered: "Sie antworteten mit Ja: „{0}“",
      emergencyNumbers: "Im Notfall 112 anrufen (999 in Großbritannien, 911 in den USA).",
    },
    pl: {
      skip: "Przejdź do pola pytania",
      intro:
        "Odpowiedzi o skurczach w dolnej części pleców z zweryfikowanego zbioru informacji. Najpierw sprawdzane są objawy alarmowe. To nie jest diagnoza: jeśli się martwisz, skontaktuj się z lekarzem.",
      language: "Język",
      askHeading: "Zadaj pytanie",
      qLabel: "Twoje pytanie albo co się dzieje",
      qHint: "Na przykład: „rano zablokowały mi się plecy, co pomoże od razu?”",
      ask: "Zapytaj",
      emergency: "Stan nagły: szukaj pomocy teraz",
      urgent: "Pilne: zgłoś się dziś do lekarza",
      doctor: "Idź do lekarza",
      self_care: "Samodzielna opieka",
      unchecked: "Objawy alarmowe nie zostały sprawdzone",
      youSaid: "Napisałeś: „{0}”",
      typeFirst: "Najpierw wpisz pytanie.",
      looking: "Szukam odpowiedzi…",
      ready: "Odpowiedź gotowa.",
      confidence: "Pewność: {0}%",
      noAnswerTitle: "Nie mam na to dobrej odpowiedzi",
      noAnswerText:
        "Ta baza wiedzy nie ma pewnej odpowiedzi na twoje pytanie. Najbliższe tematy są poniżej.",
      noAnswer: "Brak pewnej odpowiedzi",
      englishOnly: "Ta odpowiedź jest na razie dostępna tylko po angielsku.",
      sources: "Źródła",
      related: "Podobne pytania",
      closest: "Najbliższe tematy",
      helpfulQ: "Czy ta odpowiedź pomogła?",
      helpful: "Pomocna",
      notHelpful: "Niepomocna",
      wrong: "Błędna",
      thanks: "Dziękujemy, zapisaliśmy twoją opinię.",
      planHeading: "Twój plan opieki",
      planHint:
        "Powiedz, kiedy zaczął się skurcz, a dostaniesz plan na każdy dzień do dodania do kalendarza.",
      onset: "Kiedy to się zaczęło?",
      age: "Twój wiek (opcjonalnie)",
      planButton: "Utwórz plan",
      checkSigns: "Sprawdź moje objawy alarmowe",
      signsHeading: "Sprawdź moje objawy alarmowe",
      signsHint:
        "Odpowiedz, na co możesz. „Tak” na którekolwiek z tych pytań oznacza, że trzeba szukać pomocy; wynik powie, jak szybko.",
      followUpLegend: "Kilka pytań, żeby ocenić, jak pilne to jest",
      checkAnswers: "Sprawdź moje odpowiedzi",
      yes: "Tak",
      no: "Nie",
      answersChecked: "Sprawdziliśmy twoje odpowiedzi; wynik pokazuje ramka objawów alarmowych.",
      answerOne: "Najpierw odpowiedz na co najmniej jedno pytanie.",
      youAnswered: "Odpowiedziałeś „tak”: „{0}”",
      emergencyNumbers: "W nagłym wypadku dzwoń pod 112 (999 w Wielkiej Brytanii).",
    },
    pt: {
      skip: "Ir para a caixa da pergunta",
      intro:
        "Respostas sobre espasmos na parte de baixo das costas, a partir de um conjunto de informação revista. Os sinais de alarme são verificados primeiro. Isto não é um diagnóstico: se estiver preocupado, fale com um médico.",
      language: "Língua",
      askHeading: "Faça uma pergunta",
      qLabel: "A sua pergunta, ou o que está a acontecer",
      qHint: "Por exemplo: «as costas bloquearam esta manhã, o que ajuda já?»",
      ask: "Perguntar",
      emergency: "Emergência: procure ajuda agora",
      urgent: "Urgente: seja visto por um médico hoje",
      doctor: "Consulte um médico",
      self_care: "Cuidados em casa",
      unchecked: "Sinais de alarme não verificados",
      youSaid: "Escreveu: «{0}»",
      typeFirst: "Escreva primeiro uma pergunta.",
      looking: "À procura de uma resposta…",
      ready: "Resposta pronta.",
      confidence: "Confiança: {0}%",
      noAnswerTitle: "Não tenho uma boa resposta para isso",
      noAnswerText:
        "Esta base de conhecimento não tem uma resposta fiável à sua pergunta. Os temas mais próximos estão abaixo.",
      noAnswer: "Sem resposta fiável",
      englishOnly: "Esta resposta só está disponível em inglês por agora.",
      sources: "Fontes",
      related: "Perguntas relacionadas",
      closest: "Temas mais próximos",
      helpfulQ: "Esta resposta ajudou?",
      helpful: "Útil",
      notHelpful: "Pouco útil",
      wrong: "Errada",
      thanks: "Obrigado, a sua opinião foi guardada.",
      planHeading: "O seu plano de cuidados",
      planHint:
        "Diga-nos quando começou o espasmo e receba um plano dia a dia para juntar ao seu calendário.",
      onset: "Quando começou?",
      age: "A sua idade (opcional)",
      planButton: "Criar o meu plano",
      checkSigns: "Verificar os meus sinais de alarme",
      signsHeading: "Verificar os meus sinais de alarme",
      signsHint:
        "Responda ao que puder. Um sim a qualquer destas perguntas quer dizer que deve procurar ajuda; o resultado diz com que rapidez.",
      followUpLegend: "Algumas perguntas para saber quão urgente é",
      checkAnswers: "Verificar as minhas respostas",
      yes: "Sim",
      no: "Não",
      answersChecked: "As suas respostas foram verificadas; o aviso de sinais de alarme mostra o resultado.",
      answerOne: "Responda primeiro a pelo menos uma pergunta.",
      youAnswered: "Respondeu que sim: «{0}»",
      emergencyNumbers: "Em caso de emergência ligue 112 (999 no Reino Unido).",
    },
    ar: {
      skip: "انتقل إلى مربع السؤال",
      intro:
        "إجابات عن تشنجات أسفل الظهر من مجموعة معلومات تمت مراجعتها. يتم فحص علامات الخطر أولًا. هذا ليس تشخيصًا: إذا كنت قلقًا فتواصل مع طبيب.",
      language: "اللغة",
      askHeading: "اطرح سؤالًا",
      qLabel: "سؤالك، أو ما يحدث معك",
      qHint: "مثلًا: «تيبّس ظهري هذا الصباح، ما الذي يساعد الآن؟»",
      ask: "اسأل",
      emergency: "حالة طارئة: اطلب المساعدة الآن",
      urgent: "عاجل: راجع طبيبًا اليوم",
      doctor: "راجع طبيبًا",
      self_care: "العناية الذاتية",
      unchecked: "لم يتم فحص علامات الخطر",
      youSaid: "كتبت: «{0}»",
      typeFirst: "اكتب سؤالًا أولًا.",
      looking: "جارٍ البحث عن إجابة…",
      ready: "الإجابة جاهزة.",
      confidence: "الثقة: {0}٪",
      noAnswerTitle: "ليست لدي إجابة جيدة عن ذلك",
      noAnswerText: "لا توجد في قاعدة المعرفة هذه إجابة موثوقة عن سؤالك. أقرب المواضيع مذكورة أدناه.",
      noAnswer: "لا توجد إجابة موثوقة",
      englishOnly: "هذه الإجابة متوفرة بالإنجليزية فقط حاليًا.",
      sources: "المصادر",
      related: "أسئلة ذات صلة",
      closest: "أقرب المواضيع",
      helpfulQ: "هل كانت هذه الإجابة مفيدة؟",
      helpful: "مفيدة",
      notHelpful: "غير مفيدة",
      wrong: "خاطئة",
      thanks: "شكرًا، تم حفظ رأيك.",
      planHeading: "خطة العناية الخاصة بك",
      planHint: "أخبرنا متى بدأ التشنج واحصل على خطة يومًا بيوم يمكنك إضافتها إلى تقويمك.",
      onset: "متى بدأ؟",
      age: "عمرك (اختياري)",
      planButton: "أنشئ خطتي",
      checkSigns: "افحص علامات الخطر لدي",
      signsHeading: "افحص علامات الخطر لدي",
      signsHint: "أجب عمّا تستطيع. الإجابة بنعم عن أي من هذه الأسئلة تعني أن عليك طلب المساعدة؛ وتبيّن النتيجة مدى السرعة.",
      followUpLegend: "بضعة أسئلة لمعرفة مدى الاستعجال",
      checkAnswers: "افحص إجاباتي",
      yes: "نعم",
      no: "لا",
      answersChecked: "تم فحص إجاباتك؛ يعرض تنبيه علامات الخطر النتيجة.",
      answerOne: "أجب عن سؤال واحد على الأقل أولًا.",
      youAnswered: "أجبت بنعم: «{0}»",
      emergencyNumbers: "في حالة الطوارئ اتصل بالرقم 112 (أو 999 في المملكة المتحدة).",
    },
  };
  const RIGHT_TO_LEFT = new Set(["ar"]);
  const KEY = "backcare.lang";

  function fromBrowser() {
    const tags = navigator.languages && navigator.languages.length
      ? navigator.languages
      : [navigator.language || "en"];
    for (const tag of tags) {
      const code = String(tag).toLowerCase().split("-")[0];
      if (STRINGS[code]) return code;
    }
    return "en";
  }

  function stored() {
    try {
      const code = window.localStorage.getItem(KEY);
      return code && STRINGS[code] ? code : null;
    } catch (_ignored) {
      return null; // storage blocked: follow the browser
    }
  }

  let picked = stored();
  let current = picked || fromBrowser();

  function t(key, ...args) {
    const text = key in STRINGS[current] ? STRINGS[current][key] : STRINGS.en[key];
    return args.reduce((out, arg, index) => out.replace("{" + index + "}", String(arg)), text);
  }

  function apply() {
    const root = document.documentElement;
    root.lang = current;
    root.dir = RIGHT_TO_LEFT.has(current) ? "rtl" : "ltr";
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = t(node.dataset.i18n);
    }
    const picker = document.getElementById("lang-picker");
    if (picker) picker.value = current;
  }

  function choose(code) {
    if (!STRINGS[code]) return;
    current = code;
    picked = code;
    try {
      window.localStorage.setItem(KEY, code);
    } catch (_ignored) {
      // not kept across visits, still used now
    }
    apply();
    document.dispatchEvent(new CustomEvent("backcare:language"));
  }

  window.backcareI18n = {
    t,
    choose,
    apply,
    get lang() {
      return current;
    },
    // The language to ask the API for: the page's, unless that is English by default,
    // where the server's own detection of the message's language does better.
    get requestLang() {
      return current === "en" && !picked ? null : current;
    },
  };
})();
