/** Sets environment variables for one suite (the sample reads its limits at start-up); `restore()` puts the old values back. */
export function withEnv(values: Record<string, string>): { restore(): void } {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  return {
    restore() {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}
