// A pure function of short texts with its answers remembered: the same few texts (header names, addresses,
// URIs) recur in every message. Bounded: at most `maxEntries` answers (all forgotten when full, so a peer
// sending ever-new texts costs only the computation), texts of at most `maxLength` characters (longer ones are
// computed each time). A call that throws remembers nothing. The answer is one shared string per text.
export function rememberAnswers(
  fn: (text: string) => string,
  maxEntries: number,
  maxLength: number,
): (text: string) => string {
  const answers = new Map<string, string>();
  return (text) => {
    const known = answers.get(text);
    if (known !== undefined) return known;
    const answer = fn(text);
    if (text.length <= maxLength) {
      if (answers.size >= maxEntries) answers.clear();
      answers.set(text, answer);
    }
    return answer;
  };
}
