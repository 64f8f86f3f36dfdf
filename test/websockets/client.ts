import WebSocket from 'ws';

export interface Frame {
  event: string;
  data: unknown;
}

/** A real `ws` client that queues the frames it receives. */
export class TestClient {
  private readonly frames: Frame[] = [];
  private waiting: ((frame: Frame) => void) | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    const socket = (this.socket = new WebSocket(url, { headers }));
    this.opened = new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      if (this.waiting) {
        const waiting = this.waiting;
        this.waiting = undefined;
        waiting(frame);
      } else this.frames.push(frame);
    });
  }

  readonly socket: WebSocket;

  /** Sends `{ event, data }` and resolves with the next frame received. */
  async request(event: string, data: unknown = {}): Promise<Frame> {
    await this.opened;
    const next = this.frames.length > 0 ? Promise.resolve(this.frames.shift()!) : new Promise<Frame>((resolve) => (this.waiting = resolve));
    this.socket.send(JSON.stringify({ event, data }));
    return next;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.socket.close();
  }
}
