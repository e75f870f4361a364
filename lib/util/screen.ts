/**
 * The one progress renderer on a terminal: a status line rewritten in place on stderr when it is a
 * TTY (cut to the terminal width), plain lines that scroll above it; without a TTY only the lines.
 */
export class Screen {
  private live = '';
  constructor(private readonly tty: boolean = process.stderr.isTTY === true) {}

  get isTty(): boolean {
    return this.tty;
  }

  status(text: string): void {
    if (!this.tty) return;
    const cols = process.stderr.columns || 100;
    this.live = text.length > cols - 1 ? `${text.slice(0, cols - 2)}…` : text;
    process.stderr.write(`\r\x1b[2K${this.live}`);
  }

  line(text: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${text}\n`);
    if (this.tty && this.live) process.stderr.write(this.live);
  }

  clear(): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    this.live = '';
  }
}
