/** Test helper: runs `fn` and returns the names of the process warnings emitted meanwhile. */
export async function warningsDuring(fn: () => Promise<unknown>, settleMs = 5): Promise<string[]> {
  const names: string[] = [];
  const onWarning = (w: Error) => names.push(w.name);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    process.off('warning', onWarning);
  }
  return names;
}
