/**
 * Remote audio level for `window.__gatehouse.remoteAudioLevel()` (tests check that audio
 * really arrives, independently of the gateway's counters). An AnalyserNode on the remote
 * stream; the RMS of one time-domain window (Web Audio API, AnalyserNode.getFloatTimeDomainData).
 *
 * Chromium only feeds WebRTC remote audio into Web Audio while the stream is also attached to
 * a media element; the page attaches it to the remote <video>, so this works.
 */
export class AudioMeter {
  private context: AudioContext | undefined;
  private analyser: AnalyserNode | undefined;
  private trackId: string | undefined;
  // The largest analyser window (32768 samples, ~0.68 s at 48 kHz): one reading covers more
  // than one period of a periodic test tone (Chromium's fake microphone beeps), so successive
  // readings are steady instead of depending on where a short beep falls.
  private buffer: Float32Array<ArrayBuffer> = new Float32Array(32768);

  /** RMS 0..1 of the latest window of `stream`'s first audio track; 0 without one. */
  level(stream: MediaStream | undefined): number {
    const track = stream?.getAudioTracks()[0];
    if (stream === undefined || track === undefined) return 0;
    if (this.trackId !== track.id) this.attach(stream, track.id);
    const a = this.analyser;
    if (a === undefined) return 0;
    a.getFloatTimeDomainData(this.buffer);
    let sum = 0;
    for (const v of this.buffer) sum += v * v;
    return Math.sqrt(sum / this.buffer.length);
  }

  close(): void {
    void this.context?.close();
    this.context = undefined;
    this.analyser = undefined;
    this.trackId = undefined;
  }

  private attach(stream: MediaStream, trackId: string): void {
    this.close();
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = this.buffer.length;
    context.createMediaStreamSource(stream).connect(analyser);
    // Created after a click (Join), so resume() is allowed by the autoplay policy.
    void context.resume();
    this.context = context;
    this.analyser = analyser;
    this.trackId = trackId;
  }
}
