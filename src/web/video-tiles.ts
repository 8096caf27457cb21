/**
 * The join page's remote video tiles: one <figure><video> per remote video track (video-slots.ts),
 * built with DOM calls only (the Content-Security-Policy allows no inline script or style; the
 * look is in join.css, keyed on data attributes). Labels say only which slot it is
 * ("Participant 2"): the page knows nothing else about who is in a slot, and shows nothing
 * taken from the SDP.
 *
 * A tile is shown while its track decodes frames: `frames()` gets framesDecoded per track from
 * the page's stats poll (once a second); a tile whose count has not grown for IDLE_POLLS polls
 * (its participant left, or the slot is unused) is hidden again (data-receiving="false").
 */
import type { VideoTileState } from './test-hook.ts';

/** Polls without a new decoded frame before a tile is hidden (the poll runs every second). */
const IDLE_POLLS = 3;

interface Tile {
  readonly slot: number;
  readonly label: string;
  readonly figure: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly ownVideo: boolean;
  trackId: string | null;
  frames: number;
  idle: number;
  receiving: boolean;
}

export class VideoTiles {
  private readonly container: HTMLElement;
  private readonly tiles: Tile[] = [];

  /** `mainFigure`/`mainVideo`: the markup's tile for the camera m-line's track (slot 0; it also plays the remote audio). */
  constructor(container: HTMLElement, mainFigure: HTMLElement, mainVideo: HTMLVideoElement) {
    this.container = container;
    this.tiles.push({ slot: 0, label: mainFigure.querySelector('figcaption')?.textContent ?? 'Room', figure: mainFigure, video: mainVideo, ownVideo: false, trackId: null, frames: 0, idle: 0, receiving: false });
    mainFigure.dataset['receiving'] = 'false';
  }

  /** A remote video track arrived (slot 0: the camera m-line's, already in the main element's stream). */
  add(track: MediaStreamTrack, slot: number): void {
    let tile = this.tiles.find((t) => t.slot === slot);
    if (tile === undefined) {
      const figure = document.createElement('figure');
      figure.className = 'remote';
      figure.dataset['slot'] = String(slot);
      figure.dataset['receiving'] = 'false';
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      video.muted = true; // the audio is the room's mix, played by the main element
      const caption = document.createElement('figcaption');
      const label = `Participant ${String(slot)}`;
      caption.textContent = label;
      figure.append(video, caption);
      this.container.append(figure);
      tile = { slot, label, figure, video, ownVideo: true, trackId: null, frames: 0, idle: 0, receiving: false };
      this.tiles.push(tile);
      this.tiles.sort((a, b) => a.slot - b.slot);
    }
    tile.trackId = track.id;
    tile.frames = 0;
    if (tile.ownVideo) {
      tile.video.srcObject = new MediaStream([track]);
      void tile.video.play().catch(() => undefined);
    }
  }

  /** framesDecoded per remote video track id, from one stats poll. */
  frames(byTrack: ReadonlyMap<string, number>): void {
    for (const t of this.tiles) {
      const n = t.trackId === null ? undefined : byTrack.get(t.trackId);
      if (n !== undefined && n > t.frames) {
        t.frames = n;
        t.idle = 0;
        t.receiving = true;
      } else if (++t.idle >= IDLE_POLLS) {
        t.receiving = false;
      }
      t.figure.dataset['receiving'] = String(t.receiving);
    }
  }

  state(): VideoTileState[] {
    return this.tiles.map((t) => ({ slot: t.slot, label: t.label, trackId: t.trackId, receiving: t.receiving }));
  }

  /** The call ended: slot tiles go, the main tile is reset. */
  clear(): void {
    for (const t of this.tiles.splice(1)) t.figure.remove();
    const main = this.tiles[0];
    if (main !== undefined) {
      main.trackId = null;
      main.receiving = false;
      main.figure.dataset['receiving'] = 'false';
    }
  }
}
