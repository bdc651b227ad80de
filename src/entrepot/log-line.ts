/**
 * A platform log line, `2026-07-02 06:05:20,394ERROR||cli||237||message`, as its time and message;
 * a line of another shape is all message.
 */
export function splitLogLine(line: string): { time?: string; message: string } {
  const match = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:,\d+)?\s*(?:ERROR|WARNING|INFO|DEBUG)\|\|[^|]*\|\|[^|]*\|\|(.*)$/.exec(line);
  return match ? { time: match[1], message: match[2] } : { message: line };
}
