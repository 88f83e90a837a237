// Reading the read-out aloud with the browser's own speech synthesis, in Chinese, with a mute switch.

const STORAGE_KEY = "bidopen.speech.muted";

/**
 * "投标报价（元）" + "1234567.89" reads best as "投标报价 1234567.89 元": the
 * unit in brackets moves behind the value.
 */
export function spokenItem(label, value) {
  const match = /^(.*?)\s*[（(]([^（）()]+)[）)]\s*$/.exec(label);
  return match ? `${match[1]} ${value} ${match[2]}` : `${label} ${value}`;
}

export class Speaker {
  constructor({ lang = "zh-CN" } = {}) {
    this.lang = lang;
    this.available = typeof window.speechSynthesis !== "undefined";
    let muted = false;
    try {
      muted = localStorage.getItem(STORAGE_KEY) === "1";
    } catch {
      // Not remembered; the default (speaking) applies.
    }
    this.muted = muted;
    this.listeners = new Set();
  }

  /**
   * Chromium speaks only after someone has interacted with the page once
   * (a click or a key); until then a hall screen must ask for that click.
   */
  get waitingForActivation() {
    return this.available && !this.muted && navigator.userActivation?.hasBeenActive === false;
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  setMuted(muted) {
    this.muted = muted;
    try {
      localStorage.setItem(STORAGE_KEY, muted ? "1" : "0");
    } catch {
      // See constructor.
    }
    if (muted && this.available) window.speechSynthesis.cancel();
    for (const listener of this.listeners) listener(muted);
  }

  voice() {
    if (!this.available) return null;
    const voices = window.speechSynthesis.getVoices();
    return (
      voices.find((v) => v.lang === this.lang) ??
      voices.find((v) => v.lang?.toLowerCase().startsWith("zh")) ??
      null
    );
  }

  /**
   * Queue `lines` to be spoken one after another. `onLine(index)` fires as
   * each line starts, so the page can highlight the row being read.
   */
  speak(lines, { onLine = () => {} } = {}) {
    if (!this.available || this.muted) return;
    const synth = window.speechSynthesis;
    const voice = this.voice();
    lines.forEach((text, index) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = this.lang;
      if (voice) utterance.voice = voice;
      utterance.rate = 0.95;
      utterance.addEventListener("start", () => onLine(index));
      if (index === lines.length - 1) utterance.addEventListener("end", () => onLine(-1));
      synth.speak(utterance);
    });
  }
}
