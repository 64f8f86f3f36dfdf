// Filled in by the passport adapter work.
export {};
