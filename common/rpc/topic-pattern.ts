/**
 * Monitoring topics are dot-separated words. Subscriptions may use AMQP topic wildcards:
 * `*` matches exactly one word, `#` zero or more. The in-process bus applies the same rules
 * as RabbitMQ's topic exchange so that both transports deliver the same events.
 */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true;
  if (!pattern.includes('*') && !pattern.includes('#')) return false;
  return matchWords(pattern.split('.'), 0, topic.split('.'), 0);
}

function matchWords(p: string[], pi: number, t: string[], ti: number): boolean {
  if (pi === p.length) return ti === t.length;
  const word = p[pi];
  if (word === '#') {
    for (let skip = ti; skip <= t.length; skip++) {
      if (matchWords(p, pi + 1, t, skip)) return true;
    }
    return false;
  }
  if (ti === t.length) return false;
  if (word !== '*' && word !== t[ti]) return false;
  return matchWords(p, pi + 1, t, ti + 1);
}
