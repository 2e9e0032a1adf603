// File-system faults as one line for the user: the operation, the path, the reason and what to do. Node's own
// errors carry `code`, `syscall` and `path`; this table turns them into words instead of a stack trace.

const REASONS: Record<string, readonly [reason: string, todo: string]> = {
  EACCES: ["permission denied", "choose a path you may write to, or change its permissions"],
  EPERM: ["operation not permitted", "choose a path you may write to, or change its permissions"],
  EROFS: ["the file system is read-only", "write to another place"],
  ENOSPC: ["no space left on the device", "free some space or write to another disk"],
  EDQUOT: ["disk quota exceeded", "free some space or write to another disk"],
  EISDIR: ["it is a folder", "give a file path"],
  ENOTDIR: ["a part of the path is a file, not a folder", "check the path"],
  ENOENT: ["no such file or folder", "check the path"],
  EEXIST: ["it already exists", "remove it or choose another path"],
  ENOTEMPTY: ["the folder is not empty", "remove it or choose another path"],
  ENAMETOOLONG: ["the name is too long", "choose a shorter path"],
  EMFILE: ["too many open files", "raise the limit (ulimit -n) or give fewer files"],
  EBUSY: ["the file is busy", "close what holds it and try again"],
  EIO: ["an input/output error", "check the disk"],
  EXDEV: ["it is on another device", "write within one file system"],
};

const OPERATIONS: Record<string, string> = {
  open: "open", read: "read", write: "write", mkdir: "create the folder", rename: "move into place", rmdir: "remove",
  unlink: "remove", scandir: "list the folder", stat: "look at", lstat: "look at", copyfile: "copy", rm: "remove",
  realpath: "resolve", fsync: "write", close: "write", ftruncate: "write", mkdtemp: "create the folder", access: "reach",
};

/** A Node file-system error (it has a known code and a path). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException & { path: string } {
  const x = e as NodeJS.ErrnoException | undefined;
  return x instanceof Error && typeof x.code === "string" && x.code in REASONS && typeof x.path === "string";
}

/** The user's own name for a temporary one (".out.gguf.partial-123" is out.gguf being written). */
const userPath = (p: string) => p.replace(/(^|[/\\])\.([^/\\]+)\.(partial|old)-\d+$/, "$1$2");

/** "cannot write /x/y.gguf: no space left on the device; free some space or write to another disk" */
export function describeFsError(e: NodeJS.ErrnoException & { path: string }): string {
  const [reason, todo] = REASONS[e.code!]!;
  const temp = userPath(e.path) !== e.path;
  const op = temp && e.syscall !== "rename" ? "write" : (OPERATIONS[e.syscall ?? ""] ?? e.syscall ?? "use");
  const dest = (e as { dest?: string }).dest;
  return `cannot ${op} ${userPath(e.path)}${dest && !temp ? ` to ${dest}` : ""}: ${reason}; ${todo}`;
}
