// Herald reading-page player. Turns the page's whole-document <audio> into
// one player with play/pause, sentence navigation, speed, "play from here"
// on every paragraph, and highlighting of the paragraph and word being
// spoken (from timings.json). Without this script the page still works:
// every paragraph keeps its own <audio controls>.
(() => {
  'use strict';
  const article = document.querySelector('article[data-timings]');
  const audio = document.getElementById('player');
  const controls = document.getElementById('player-controls');
  const announcer = document.getElementById('announcer');
  if (!article || !audio || !controls || !announcer) return;

  const SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3];
  const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)');
  const sentences = []; // { start, end, paragraph, words: [{ start, el }] } in time order
  const paragraphs = new Map(); // index -> { el, start }
  let shown = { paragraph: null, word: null };
  let frame = 0;

  function announce(message) {
    // Cleared first so that the same message is announced again.
    announcer.textContent = '';
    window.setTimeout(() => { announcer.textContent = message; }, 50);
  }

  function button(label, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.addEventListener('click', onClick);
    return b;
  }

  // --- controls -----------------------------------------------------------
  const playButton = button('Play', togglePlay);
  const backButton = button('Previous sentence', () => skip(-1));
  const forwardButton = button('Next sentence', () => skip(1));
  const speedField = document.createElement('span');
  speedField.className = 'speed';
  const speedLabel = document.createElement('label');
  speedLabel.htmlFor = 'speed';
  speedLabel.textContent = 'Speed';
  const speed = document.createElement('select');
  speed.id = 'speed';
  for (const s of SPEEDS) {
    const option = document.createElement('option');
    option.value = String(s);
    option.textContent = `${s}×`;
    option.selected = s === 1;
    speed.append(option);
  }
  speed.addEventListener('change', () => setSpeed(Number(speed.value)));
  speedField.append(speedLabel, speed);
  controls.append(playButton, backButton, forwardButton, speedField);
  controls.hidden = false;

  function togglePlay() {
    if (audio.paused) {
      audio.play().catch(() => announce('The audio could not start'));
    } else {
      audio.pause();
    }
  }

  function setSpeed(value) {
    audio.playbackRate = value;
    speed.value = String(value);
    announce(`Speed ${value} times`);
  }

  function changeSpeed(step) {
    const at = SPEEDS.indexOf(audio.playbackRate);
    const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (at < 0 ? 1 : at) + step))];
    setSpeed(next);
  }

  function seek(time, message) {
    audio.currentTime = time;
    highlight(time);
    if (message) announce(message);
    if (audio.paused) audio.play().catch(() => announce('The audio could not start'));
  }

  function sentenceAt(time) {
    let low = 0;
    let high = sentences.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (sentences[mid].start <= time + 0.001) { found = mid; low = mid + 1; } else { high = mid - 1; }
    }
    return found;
  }

  function skip(direction) {
    if (!sentences.length) return;
    const now = audio.currentTime;
    const at = Math.max(0, sentenceAt(now));
    let target = at + direction;
    if (direction < 0 && now - sentences[at].start > 1) target = at;
    target = Math.min(sentences.length - 1, Math.max(0, target));
    seek(sentences[target].start, `Sentence ${target + 1} of ${sentences.length}`);
  }

  audio.addEventListener('play', () => { playButton.textContent = 'Pause'; announce('Playing'); tick(); });
  audio.addEventListener('pause', () => { playButton.textContent = 'Play'; if (!audio.ended) announce('Paused'); });
  audio.addEventListener('ended', () => { playButton.textContent = 'Play'; announce('Finished'); });
  audio.addEventListener('timeupdate', () => highlight(audio.currentTime));
  audio.addEventListener('seeked', () => highlight(audio.currentTime));

  document.addEventListener('keydown', (event) => {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    const actions = {
      KeyP: togglePlay,
      KeyB: () => skip(-1),
      KeyF: () => skip(1),
      KeyU: () => changeSpeed(1),
      KeyD: () => changeSpeed(-1),
    };
    const action = actions[event.code];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  // --- highlighting -------------------------------------------------------
  function tick() {
    window.cancelAnimationFrame(frame);
    if (audio.paused) return;
    highlight(audio.currentTime);
    frame = window.requestAnimationFrame(tick);
  }

  function highlight(time) {
    const at = sentenceAt(time);
    const sentence = at >= 0 ? sentences[at] : null;
    const inside = sentence && time <= sentence.end + 0.05;
    const paragraph = sentence ? paragraphs.get(sentence.paragraph) : null;
    let word = null;
    if (inside) {
      for (const w of sentence.words) {
        if (w.start <= time + 0.001) word = w.el; else break;
      }
    }
    if (paragraph?.el !== shown.paragraph) {
      shown.paragraph?.classList.remove('reading');
      paragraph?.el.classList.add('reading');
      shown.paragraph = paragraph?.el ?? null;
      if (paragraph && !audio.paused) reveal(paragraph.el);
    }
    if (word !== shown.word) {
      shown.word?.classList.remove('current');
      word?.classList.add('current');
      shown.word = word;
    }
  }

  function reveal(element) {
    const box = element.getBoundingClientRect();
    if (box.top >= 0 && box.bottom <= window.innerHeight) return;
    element.scrollIntoView({ block: 'center', behavior: reduceMotion.matches ? 'auto' : 'smooth' });
  }

  // Splits a text element into word spans at the timings' char offsets
  // (offsets count Unicode code points, hence Array.from).
  function wrapWords(element, words) {
    const chars = Array.from(element.textContent);
    const pieces = document.createDocumentFragment();
    let cursor = 0;
    const wrapped = [];
    for (const w of words) {
      if (w.text_start < cursor || w.text_end > chars.length || w.text_end <= w.text_start) continue;
      if (w.text_start > cursor) pieces.append(chars.slice(cursor, w.text_start).join(''));
      const span = document.createElement('span');
      span.className = 'w';
      span.textContent = chars.slice(w.text_start, w.text_end).join('');
      span.addEventListener('click', () => seek(w.start));
      pieces.append(span);
      wrapped.push({ start: w.start, el: span });
      cursor = w.text_end;
    }
    if (cursor < chars.length) pieces.append(chars.slice(cursor).join(''));
    element.replaceChildren(pieces);
    return wrapped;
  }

  function textElement(paragraph) {
    return paragraph.matches('h1') ? paragraph : paragraph.querySelector('.text');
  }

  function addPlayFromHere(index, element) {
    const container = element.matches('h1') ? null : element;
    if (!container) return;
    container.querySelector('audio.paragraph-audio')?.setAttribute('hidden', '');
    const play = button('Play from here', () => seek(paragraphs.get(index).start, `Playing from paragraph ${index}`));
    play.className = 'play-here';
    play.setAttribute('aria-label', `Play from here: paragraph ${index}`);
    play.lang = 'en';
    container.append(play);
  }

  function load(timeline) {
    for (const p of timeline.paragraphs) {
      const element = document.getElementById(`p${p.index}`);
      if (!element) continue;
      paragraphs.set(p.index, { el: element, start: p.start });
      const text = textElement(element);
      const words = p.sentences.flatMap((s) => s.words);
      const wrapped = text ? wrapWords(text, words) : [];
      let w = 0;
      p.sentences.forEach((s, i) => {
        const own = [];
        const last = i === p.sentences.length - 1;
        // A sentence ends where the next one's first word starts: that word is the next one's.
        while (w < wrapped.length && (last || wrapped[w].start < s.end - 0.001)) own.push(wrapped[w++]);
        sentences.push({ start: s.start, end: s.end, paragraph: p.index, words: own });
      });
      addPlayFromHere(p.index, element);
    }
    article.classList.add('has-player');
  }

  fetch(article.dataset.timings, { headers: { Accept: 'application/json' } })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(response.statusText))))
    .then(load)
    .catch(() => announce('Word highlighting is not available for this document'));
})();
