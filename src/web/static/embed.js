// Herald Listen button. Add to a page:
//   <script src="https://HERALD/embed.js" defer></script>
//   <div data-herald-listen data-herald-target="article" data-herald-key="pk_..."></div>
// data-herald-key is a publishable key (bound to this site's origin, with its
// own quota), needed when Herald is set up with keys. Never put a secret key
// in a page.
// It inserts a real <button> (labelled in the page's language), sends the
// target's text with its lang attributes to Herald, plays the audio, shows
// progress, highlights the paragraph being read, and announces its state.
// It defines one global (HeraldListen), styles only its own shadow DOM,
// and is safe to load twice.
(() => {
  'use strict';
  if (window.HeraldListen) {
    window.HeraldListen.init();
    return;
  }
  const script = document.currentScript;
  const base = new URL(script ? script.src : '/', window.location.href).origin;

  const WORDS = {
    en: { listen: 'Listen', pause: 'Pause', resume: 'Resume', stop: 'Stop', loading: 'Loading…', playing: 'Playing', paused: 'Paused', stopped: 'Stopped', finished: 'Finished', failed: 'Listening is not available', progress: (n, of) => `Paragraph ${n} of ${of}` },
    fr: { listen: 'Écouter', pause: 'Pause', resume: 'Reprendre', stop: 'Arrêter', loading: 'Chargement…', playing: 'Lecture', paused: 'En pause', stopped: 'Arrêté', finished: 'Terminé', failed: 'L’écoute n’est pas disponible', progress: (n, of) => `Paragraphe ${n} sur ${of}` },
    de: { listen: 'Anhören', pause: 'Pause', resume: 'Fortsetzen', stop: 'Stopp', loading: 'Wird geladen…', playing: 'Wiedergabe', paused: 'Pausiert', stopped: 'Gestoppt', finished: 'Beendet', failed: 'Vorlesen ist nicht verfügbar', progress: (n, of) => `Absatz ${n} von ${of}` },
    es: { listen: 'Escuchar', pause: 'Pausa', resume: 'Reanudar', stop: 'Detener', loading: 'Cargando…', playing: 'Reproduciendo', paused: 'En pausa', stopped: 'Detenido', finished: 'Terminado', failed: 'La escucha no está disponible', progress: (n, of) => `Párrafo ${n} de ${of}` },
    it: { listen: 'Ascolta', pause: 'Pausa', resume: 'Riprendi', stop: 'Interrompi', loading: 'Caricamento…', playing: 'In riproduzione', paused: 'In pausa', stopped: 'Interrotto', finished: 'Terminato', failed: 'L’ascolto non è disponibile', progress: (n, of) => `Paragrafo ${n} di ${of}` },
    pt: { listen: 'Ouvir', pause: 'Pausar', resume: 'Retomar', stop: 'Parar', loading: 'A carregar…', playing: 'A reproduzir', paused: 'Em pausa', stopped: 'Parado', finished: 'Terminado', failed: 'A audição não está disponível', progress: (n, of) => `Parágrafo ${n} de ${of}` },
    nl: { listen: 'Beluisteren', pause: 'Pauze', resume: 'Hervatten', stop: 'Stoppen', loading: 'Laden…', playing: 'Speelt af', paused: 'Gepauzeerd', stopped: 'Gestopt', finished: 'Klaar', failed: 'Beluisteren is niet beschikbaar', progress: (n, of) => `Alinea ${n} van ${of}` },
    ru: { listen: 'Слушать', pause: 'Пауза', resume: 'Продолжить', stop: 'Стоп', loading: 'Загрузка…', playing: 'Воспроизведение', paused: 'Пауза', stopped: 'Остановлено', finished: 'Готово', failed: 'Прослушивание недоступно', progress: (n, of) => `Абзац ${n} из ${of}` },
    ja: { listen: '聞く', pause: '一時停止', resume: '再開', stop: '停止', loading: '読み込み中…', playing: '再生中', paused: '一時停止中', stopped: '停止しました', finished: '終了', failed: '読み上げは利用できません', progress: (n, of) => `段落 ${n} / ${of}` },
    zh: { listen: '收听', pause: '暂停', resume: '继续', stop: '停止', loading: '加载中…', playing: '正在播放', paused: '已暂停', stopped: '已停止', finished: '已结束', failed: '朗读不可用', progress: (n, of) => `第 ${n} 段，共 ${of} 段` },
  };

  const STYLE = `
    :host { all: initial; display: inline-block; font: 1rem/1.4 system-ui, sans-serif; color: #1a1a1a; }
    .bar { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
    button { font: inherit; padding: .4rem 1rem; border: 2px solid #0b57d0; border-radius: 4px; background: #0b57d0; color: #fff; cursor: pointer; }
    button.secondary { background: #fff; color: #0b57d0; }
    button:focus-visible { outline: 3px solid #b3261e; outline-offset: 2px; }
    progress { width: 8rem; }
    .status { color: #1a1a1a; background: #fff; }
    .hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    [hidden] { display: none !important; }
  `;

  const HIGHLIGHT = { background: '#ffe066', color: '#1a1a1a' };
  const BLOCKS = 'h1,h2,h3,h4,h5,h6,p,li,blockquote,dt,dd,figcaption,pre';

  function words(element) {
    const lang = (element.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || 'en').toLowerCase();
    return WORDS[lang.split('-')[0]] || WORDS.en;
  }

  function normalize(text) {
    return text.replace(/\s+/g, ' ').trim();
  }

  class Listen {
    constructor(host) {
      this.host = host;
      this.t = words(host);
      this.target = document.querySelector(host.dataset.heraldTarget || 'article') || document.body;
      this.key = host.dataset.heraldKey || '';
      this.document = null;
      this.blocks = [];
      this.timeline = null;
      this.lit = null;
      this.stopped = false;
      const root = host.attachShadow({ mode: 'open' });
      // A constructed stylesheet is not inline style, so a host page's CSP
      // without 'unsafe-inline' still lets the widget look right.
      if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(STYLE);
        root.adoptedStyleSheets = [sheet];
      } else {
        const style = document.createElement('style');
        style.textContent = STYLE;
        root.append(style);
      }
      const markup = document.createElement('template');
      markup.innerHTML = `<div class="bar"><button type="button" class="main"></button><button type="button" class="secondary stop" hidden></button><progress max="1" value="0" hidden></progress><span class="status" aria-hidden="true"></span></div><div class="hidden" role="status" aria-live="polite"></div>`;
      root.append(markup.content);
      this.button = root.querySelector('.main');
      this.stopButton = root.querySelector('.stop');
      this.progress = root.querySelector('progress');
      this.status = root.querySelector('.status');
      this.live = root.querySelector('[role=status]');
      this.button.textContent = this.t.listen;
      this.stopButton.textContent = this.t.stop;
      this.progress.setAttribute('aria-label', this.t.listen);
      this.button.addEventListener('click', () => this.toggle());
      this.stopButton.addEventListener('click', () => this.stop(true));
      root.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') this.stop(true);
      });
      this.audio = new Audio();
      this.audio.preload = 'none';
      this.audio.addEventListener('timeupdate', () => this.follow());
      this.audio.addEventListener('play', () => { this.stopped = false; this.state(this.t.pause, this.t.playing); });
      this.audio.addEventListener('pause', () => { if (!this.audio.ended && this.audio.currentTime > 0) this.state(this.t.resume, this.t.paused); });
      this.audio.addEventListener('ended', () => { this.stop(false); this.say(this.t.finished); });
      this.audio.addEventListener('error', () => this.fail());
    }

    say(message) {
      this.live.textContent = '';
      window.setTimeout(() => { this.live.textContent = message; }, 50);
    }

    state(label, message) {
      this.button.textContent = label;
      this.stopButton.hidden = false;
      this.progress.hidden = false;
      this.say(message);
    }

    fail() {
      this.button.textContent = this.t.listen;
      this.button.removeAttribute('aria-disabled');
      this.status.textContent = this.t.failed;
      this.say(this.t.failed);
    }

    async toggle() {
      if (this.button.getAttribute('aria-disabled') === 'true') return;
      if (!this.document) {
        await this.load();
        if (!this.document) return;
      }
      if (!this.audio.getAttribute('src')) this.start();
      if (this.audio.paused) {
        this.audio.play().catch(() => this.fail());
      } else {
        this.audio.pause();
      }
    }

    // Stops and rewinds; `byUser` returns focus to the Listen button (the
    // Stop button the user pressed is about to be hidden).
    stop(byUser) {
      this.stopped = true;
      this.audio.pause();
      this.release();
      this.light(null);
      this.button.textContent = this.t.listen;
      this.stopButton.hidden = true;
      this.progress.value = 0;
      this.status.textContent = '';
      if (byUser) {
        this.say(this.t.stopped);
        this.button.focus();
      }
    }

    // The target's text as HTML: a copy without scripts, styles or
    // attributes other than lang (Herald strips them too; this keeps the
    // request small), wrapped with the page's language.
    payload() {
      const copy = this.target.cloneNode(true);
      copy.querySelectorAll('script,style,noscript,template,iframe,[data-herald-listen]').forEach((e) => e.remove());
      for (const element of [copy, ...copy.querySelectorAll('*')]) {
        for (const attribute of [...element.attributes]) {
          if (attribute.name !== 'lang') element.removeAttribute(attribute.name);
        }
      }
      const lang = document.documentElement.lang || '';
      const html = document.createElement('html');
      if (lang) html.setAttribute('lang', lang);
      const body = document.createElement('body');
      const article = document.createElement('article');
      article.append(copy);
      body.append(article);
      html.append(body);
      return '<!doctype html>' + html.outerHTML;
    }

    async load() {
      // aria-disabled, not disabled: a disabled button would drop keyboard focus.
      this.button.setAttribute('aria-disabled', 'true');
      this.button.textContent = this.t.loading;
      this.say(this.t.loading);
      try {
        const headers = { 'Content-Type': 'text/html; charset=utf-8' };
        if (this.key) headers.Authorization = `Bearer ${this.key}`;
        const created = await fetch(`${base}/v1/documents`, { method: 'POST', headers, body: this.payload() });
        if (!created.ok) throw new Error(`Herald answered ${created.status}`);
        this.document = await created.json();
        this.match();
        this.button.removeAttribute('aria-disabled');
      } catch (error) {
        this.fail();
      }
    }

    // Plays the document's audio as Herald renders it, and follows its
    // timeline (a JSON line per sentence as soon as it is spoken) for the
    // highlight and the progress.
    start() {
      this.connection = new AbortController();
      this.timeline = { duration: 0, paragraphs: [] };
      this.audio.src = `${base}${this.document.audio_url}`;
      this.followTimeline(this.connection.signal).catch(() => {});
    }

    // Leaves the render: the audio and timeline requests end, so Herald
    // stops synthesizing what nobody will hear. Playing again starts over.
    release() {
      this.connection?.abort();
      this.connection = null;
      if (this.audio.getAttribute('src')) {
        this.audio.removeAttribute('src');
        this.audio.load();
      }
    }

    async followTimeline(signal) {
      const url = `${base}/v1/documents/${this.document.id}/timeline.ndjson`;
      const response = await fetch(url, { signal, headers: { Accept: 'application/x-ndjson' } });
      if (!response.ok) return;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffered += decoder.decode(value, { stream: true });
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) this.timed(JSON.parse(line));
        }
      }
    }

    // One timeline line: where a paragraph starts, or the whole duration.
    timed(line) {
      const paragraphs = this.timeline.paragraphs;
      if (line.type === 'sentence' && paragraphs.at(-1)?.index !== line.paragraph) {
        paragraphs.push({ index: line.paragraph, start: line.start });
      } else if (line.type === 'end') {
        this.timeline.duration = line.duration;
      }
    }

    // Pairs each spoken paragraph with the host element that shows it.
    match() {
      const candidates = [...this.target.querySelectorAll(BLOCKS)].filter((e) => !e.closest('[data-herald-listen]'));
      let from = 0;
      this.blocks = this.document.paragraphs.map((paragraph) => {
        const wanted = normalize(paragraph.text);
        for (let i = from; i < candidates.length; i++) {
          if (normalize(candidates[i].textContent) === wanted) {
            from = i + 1;
            return candidates[i];
          }
        }
        return null;
      });
    }

    follow() {
      if (this.stopped) return;
      const duration = this.timeline?.duration || this.audio.duration || 0;
      if (duration > 0 && Number.isFinite(duration)) this.progress.value = Math.min(1, this.audio.currentTime / duration);
      if (!this.timeline) return;
      const now = this.audio.currentTime;
      let reading = null;
      for (const p of this.timeline.paragraphs) {
        if (p.start <= now + 0.001) reading = p; else break;
      }
      if (!reading) return;
      const total = this.document.paragraphs.length;
      const position = reading.index + 1;
      this.status.textContent = this.t.progress(position, total);
      this.progress.setAttribute('aria-valuetext', this.t.progress(position, total));
      this.light(this.blocks[reading.index] || null);
    }

    // Highlights one host element with inline styles, restoring the old ones.
    light(element) {
      if (element === this.lit?.element) return;
      if (this.lit) {
        this.lit.element.style.background = this.lit.background;
        this.lit.element.style.color = this.lit.color;
        this.lit.element.removeAttribute('data-herald-reading');
      }
      this.lit = null;
      if (!element) return;
      this.lit = { element, background: element.style.background, color: element.style.color };
      element.style.background = HIGHLIGHT.background;
      element.style.color = HIGHLIGHT.color;
      element.setAttribute('data-herald-reading', '');
    }
  }

  function init() {
    for (const host of document.querySelectorAll('[data-herald-listen]')) {
      if (host.shadowRoot || host.dataset.heraldReady) continue;
      host.dataset.heraldReady = 'true';
      new Listen(host);
    }
  }

  window.HeraldListen = Object.freeze({ version: 1, init });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
