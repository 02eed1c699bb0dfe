// Herald reading-page player. Replaces the browser's controls of the page's
// <audio> with one set of Herald's own: play/pause, previous and next
// sentence, one "Play from" button, speed and the position, with Alt+Shift
// shortcuts for them and for the previous and next paragraph; it
// highlights the paragraph and word being spoken. Without this script the
// page still works: the <audio controls> of the whole document is the
// player.
//
// "Play from" names the paragraph it starts: the one the reader last
// focused, clicked in or selected text in, or else the one being read. So
// the page has one such control, not one per paragraph, and the number of
// Tab stops does not grow with the document.
//
// Each paragraph is rendered on its own when it is first played, so
// playback starts at once whatever the document's length, and "Play from"
// starts rendering there. Its MP3 is fed to the <audio> through Media
// Source Extensions as it arrives, so the first frames play at once (a
// plain src of a stream of unknown length is buffered by the browser
// before it plays); without them, the paragraph's WAV is the src. While a paragraph plays, its timeline
// arrives sentence by sentence (timeline.ndjson follows the render), and
// the next paragraph's render is started so it is ready in time. Loading
// the page synthesizes nothing.
(() => {
  'use strict';
  const article = document.querySelector('article[data-base]');
  const audio = document.getElementById('player');
  const controls = document.getElementById('player-controls');
  const announcer = document.getElementById('announcer');
  if (!article || !audio || !controls || !announcer) return;

  const base = article.dataset.base;
  const SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3];
  const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)');
  // index -> { el, spans: [{ at, end, el }], sentences: [{ start, end, words }], complete, following }
  const paragraphs = new Map();
  const order = []; // paragraph indices in reading order
  let current = null; // the paragraph #player holds
  // The paragraph "Play from" starts, when the reader picked one; null once
  // playback reaches it or the reader moves the reading (then "Play from"
  // follows the paragraph being read).
  let chosen = null;
  let pendingSeek = null; // where to go once the paragraph's audio has loaded
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

  // --- paragraphs and their timelines ---------------------------------------
  function textElement(paragraph) {
    return paragraph.matches('h1') ? paragraph : paragraph.querySelector('.text');
  }

  for (const el of article.querySelectorAll('.para[data-index]')) {
    const index = Number(el.dataset.index);
    const spans = [...(textElement(el)?.querySelectorAll('span.w') ?? [])].map((span) => {
      const at = Number(span.dataset.at);
      return { at, end: at + Array.from(span.textContent).length, el: span };
    });
    paragraphs.set(index, { el, spans, sentences: [], complete: false, following: null });
    order.push(index);
  }
  order.sort((a, b) => a - b);
  if (!order.length) return;
  // Paragraphs are numbered for listeners in reading order, the title apart.
  const numbered = order.filter((n) => paragraphs.get(n).el.dataset.role !== 'title');
  const isTitle = (n) => !numbered.includes(n);
  const paragraphName = (n) => (isTitle(n) ? 'the title' : `paragraph ${numbered.indexOf(n) + 1}`);
  const capitalised = (text) => text[0].toUpperCase() + text.slice(1);

  const audioUrl = (n, format) => `${base}/paragraphs/${n}/audio.${format}`;
  const timelineUrl = (n) => `${base}/paragraphs/${n}/timeline.ndjson`;
  const next = (n) => order[order.indexOf(n) + 1];
  const previous = (n) => order[order.indexOf(n) - 1];

  // The word span that holds character `offset` (spans are in text order).
  function spanAt(paragraph, offset) {
    let low = 0;
    let high = paragraph.spans.length - 1;
    let found = null;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (paragraph.spans[mid].at <= offset) { found = paragraph.spans[mid]; low = mid + 1; } else { high = mid - 1; }
    }
    return found && offset < found.end ? found.el : null;
  }

  function receive(paragraph, line) {
    if (line.type === 'sentence') {
      const words = line.words
        .map((w) => ({ start: w.start, el: spanAt(paragraph, w.text_start) }))
        .filter((w) => w.el);
      paragraph.sentences.push({ start: line.start, end: line.end, words });
      for (const w of words) w.el.dataset.start = String(w.start);
    } else if (line.type === 'end') {
      paragraph.complete = true;
      showPosition();
    } else if (line.type === 'error') {
      announce('Part of this document could not be read aloud');
    }
  }

  // Follows paragraph n's timeline as its render grows (and so starts the
  // render if nobody has). Safe to call again: it follows once.
  function follow(n) {
    const paragraph = paragraphs.get(n);
    if (!paragraph || paragraph.complete || paragraph.following) return;
    paragraph.following = (async () => {
      const response = await fetch(timelineUrl(n), { headers: { Accept: 'application/x-ndjson' } });
      if (!response.ok) throw new Error(response.statusText);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim()) receive(paragraph, JSON.parse(line));
        }
      }
    })().catch(() => {
      paragraph.following = null; // followed again the next time it plays
    });
  }

  // --- controls -----------------------------------------------------------
  const playButton = button('Play', togglePlay);
  const backButton = button('Previous sentence', () => skip(-1));
  const forwardButton = button('Next sentence', () => skip(1));
  const fromButton = button('', () => {
    const n = fromParagraph();
    chosen = null;
    play(n, 0, `Playing from ${paragraphName(n)}`);
  });
  fromButton.className = 'play-from';
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
  // Where the player is, as text to read when wanted: not a live region,
  // so it is not announced as it changes.
  const position = document.createElement('p');
  position.className = 'position';
  controls.append(playButton, backButton, forwardButton, fromButton, speedField, position);
  controls.hidden = false;
  // The browser's controls go: the <audio> plays on, out of sight and out
  // of the accessibility tree, so there is one Play button on the page.
  audio.removeAttribute('controls');

  // The player starts on the first paragraph; nothing loads until Play.
  current = order[0];
  showPosition();

  // --- the paragraph's audio ----------------------------------------------
  const STREAMS = Boolean(window.MediaSource?.isTypeSupported?.('audio/mpeg'));
  let feeding = null; // aborts the appending of the paragraph that went

  // Loads paragraph n's audio into #player (data-paragraph names it).
  function load(n) {
    feeding?.abort();
    feeding = null;
    audio.dataset.paragraph = String(n);
    if (!STREAMS) {
      audio.src = audioUrl(n, 'wav');
      return;
    }
    const controller = new AbortController();
    const source = new MediaSource();
    const url = URL.createObjectURL(source);
    source.addEventListener('sourceopen', () => {
      URL.revokeObjectURL(url);
      feed(source, n, controller.signal).catch(() => {
        if (!controller.signal.aborted) announce('Part of this document could not be read aloud');
      });
    }, { once: true });
    feeding = controller;
    audio.src = url;
  }

  // Appends paragraph n's MP3 to `source` chunk by chunk as it is rendered.
  // A stream cut short still ends, so the player goes on to what follows.
  async function feed(source, n, signal) {
    const buffer = source.addSourceBuffer('audio/mpeg');
    try {
      const response = await fetch(audioUrl(n, 'mp3'), { signal });
      if (!response.ok) throw new Error(response.statusText);
      const reader = response.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        await new Promise((resolve, reject) => {
          buffer.onupdateend = resolve;
          buffer.onerror = reject;
          buffer.appendBuffer(value);
        });
      }
    } finally {
      if (!signal.aborted && source.readyState === 'open' && !buffer.updating) source.endOfStream();
    }
  }

  const loaded = (n) => audio.dataset.paragraph === String(n);

  // The paragraph "Play from" starts.
  function fromParagraph() {
    return chosen ?? current;
  }

  // The reader picked paragraph n; the paragraph being read needs no pick.
  function choose(n) {
    chosen = n === current ? null : n;
    showPosition();
  }

  // Sets the text of "Play from" and of the position, when it changed.
  function showPosition() {
    const from = `Play from ${paragraphName(fromParagraph())}`;
    if (fromButton.textContent !== from) fromButton.textContent = from;
    const paragraph = paragraphs.get(current);
    const where = isTitle(current) ? 'the title' : `${paragraphName(current)} of ${numbered.length}`;
    const at = sentenceAt(paragraph, audio.currentTime);
    const sentence = at < 0 ? '' : `, sentence ${at + 1}${paragraph.complete ? ` of ${paragraph.sentences.length}` : ''}`;
    const text = `Position: ${where}${sentence}`;
    if (position.textContent !== text) position.textContent = text;
  }

  function togglePlay() {
    if (!loaded(current)) {
      play(current, 0);
    } else if (audio.paused) {
      audio.play().catch(() => announce('The audio could not start'));
    } else {
      audio.pause();
    }
  }

  function setSpeed(value) {
    // The default rate carries the speed over to the next paragraph's audio.
    audio.defaultPlaybackRate = value;
    audio.playbackRate = value;
    speed.value = String(value);
    announce(`Speed ${value} times`);
  }

  function changeSpeed(step) {
    const at = SPEEDS.indexOf(audio.playbackRate);
    const target = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (at < 0 ? 1 : at) + step))];
    setSpeed(target);
  }

  // Plays paragraph n from `time` seconds into it.
  function play(n, time, message) {
    if (n !== current) {
      current = n;
      if (chosen === n) chosen = null; // reached: "Play from" follows the reading again
    }
    if (!loaded(n)) {
      pendingSeek = time > 0 ? time : null;
      load(n);
    } else {
      audio.currentTime = time;
    }
    follow(n);
    highlight(time);
    if (message) announce(message);
    audio.play().catch(() => announce('The audio could not start'));
  }

  function sentenceAt(paragraph, time) {
    let found = -1;
    paragraph.sentences.forEach((s, i) => { if (s.start <= time + 0.001) found = i; });
    return found;
  }

  function skip(direction) {
    const paragraph = paragraphs.get(current);
    const now = audio.currentTime;
    const at = sentenceAt(paragraph, now);
    let target = Math.max(at, 0) + direction;
    if (direction < 0 && at >= 0 && now - paragraph.sentences[at].start > 1) target = at;
    chosen = null;
    if (target < 0) {
      const before = previous(current);
      if (before === undefined) return play(current, 0, 'Sentence 1');
      const last = paragraphs.get(before).sentences.at(-1);
      return play(before, last ? last.start : 0, capitalised(paragraphName(before)));
    }
    if (target >= paragraph.sentences.length) {
      if (!paragraph.complete) return; // the next sentence is still being rendered
      const after = next(current);
      if (after === undefined) return;
      return play(after, 0, capitalised(paragraphName(after)));
    }
    play(current, paragraph.sentences[target].start, `Sentence ${target + 1}`);
  }

  // Plays the start of the paragraph before or after the one being read.
  function skipParagraph(direction) {
    const n = direction < 0 ? previous(current) : next(current);
    if (n === undefined) return;
    chosen = null;
    play(n, 0, capitalised(paragraphName(n)));
  }

  audio.addEventListener('loadedmetadata', () => {
    if (pendingSeek !== null) audio.currentTime = pendingSeek;
    pendingSeek = null;
  });
  audio.addEventListener('play', () => {
    playButton.textContent = 'Pause';
    announce('Playing');
    follow(current);
    tick();
  });
  audio.addEventListener('playing', () => {
    const after = next(current);
    if (after !== undefined) follow(after); // ready before it is needed
  });
  audio.addEventListener('pause', () => {
    if (audio.ended) return;
    playButton.textContent = 'Play';
    announce('Paused');
  });
  audio.addEventListener('ended', () => {
    const after = next(current);
    if (after !== undefined) {
      play(after, 0);
      return;
    }
    playButton.textContent = 'Play';
    highlight(Infinity);
    announce('Finished');
  });
  audio.addEventListener('timeupdate', () => highlight(audio.currentTime));
  audio.addEventListener('seeked', () => highlight(audio.currentTime));

  document.addEventListener('keydown', (event) => {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    const actions = {
      KeyP: togglePlay,
      KeyB: () => skip(-1),
      KeyF: () => skip(1),
      ArrowUp: () => skipParagraph(-1),
      ArrowDown: () => skipParagraph(1),
      KeyU: () => changeSpeed(1),
      KeyD: () => changeSpeed(-1),
    };
    const action = actions[event.code];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  // A word whose time is known plays from there; another, from its
  // paragraph. A click elsewhere in a paragraph picks it for "Play from".
  article.addEventListener('click', (event) => {
    const owner = event.target.closest?.('.para[data-index]');
    if (!owner) return;
    const span = event.target.closest('span.w');
    if (!span) return choose(Number(owner.dataset.index));
    const start = span.dataset.start === undefined ? 0 : Number(span.dataset.start);
    chosen = null;
    play(Number(owner.dataset.index), start);
  });

  // Focus in a paragraph (a click, a screen reader's cursor where focus
  // follows it, a script) or a selection or caret in one picks it.
  article.addEventListener('focusin', (event) => {
    const owner = event.target.closest?.('.para[data-index]');
    if (owner) choose(Number(owner.dataset.index));
  });
  document.addEventListener('selectionchange', () => {
    const node = document.getSelection()?.focusNode;
    const owner = (node?.nodeType === Node.ELEMENT_NODE ? node : node?.parentElement)?.closest('.para[data-index]');
    if (owner && article.contains(owner)) choose(Number(owner.dataset.index));
  });

  // --- highlighting -------------------------------------------------------
  function tick() {
    window.cancelAnimationFrame(frame);
    if (audio.paused) return;
    highlight(audio.currentTime);
    frame = window.requestAnimationFrame(tick);
  }

  function highlight(time) {
    const paragraph = paragraphs.get(current);
    const playing = time !== Infinity && (!audio.paused || audio.currentTime > 0 || time > 0);
    let word = null;
    if (playing) {
      const at = sentenceAt(paragraph, time);
      const sentence = at >= 0 ? paragraph.sentences[at] : null;
      if (sentence && time <= sentence.end + 0.05) {
        for (const w of sentence.words) {
          if (w.start <= time + 0.001) word = w.el; else break;
        }
      }
    }
    const element = playing ? paragraph.el : null;
    if (element !== shown.paragraph) {
      shown.paragraph?.classList.remove('reading');
      element?.classList.add('reading');
      shown.paragraph = element;
      if (element && !audio.paused) reveal(element);
    }
    if (word !== shown.word) {
      shown.word?.classList.remove('current');
      word?.classList.add('current');
      shown.word = word;
    }
    showPosition();
  }

  function reveal(element) {
    const box = element.getBoundingClientRect();
    if (box.top >= 0 && box.bottom <= window.innerHeight) return;
    element.scrollIntoView({ block: 'center', behavior: reduceMotion.matches ? 'auto' : 'smooth' });
  }

  // Paragraphs take focus when clicked or sent there (they are no Tab
  // stops), so focus can pick one for "Play from".
  for (const paragraph of paragraphs.values()) paragraph.el.tabIndex = -1;
  article.classList.add('has-player');
})();
