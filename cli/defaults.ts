/** Defaults the help text shows; kept apart so that printing help loads nothing heavy. */
/** containerd's image_pull_progress_timeout: a pull with no progress for this long is cancelled. */
export const DEFAULT_PULL_DEADLINE_SECONDS = 300;
export const DEFAULT_TIMEOUT_SECONDS = 10;
