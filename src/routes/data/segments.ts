// segments.ts — cuts a sample's training text into marker text and its parts (prefix, middle, suffix,
// ctx window) by replaying the format's template, so the preview can colour each piece.
import { FORMATS, parseTemplate, type SampleRecord } from "../../lib/fim/index.ts";

export type SegmentKind = "marker" | "prefix" | "middle" | "suffix" | "context";

export interface Segment {
  kind: SegmentKind;
  text: string;
}

type Slot = "prefix" | "middle" | "suffix" | "ctx_before" | "ctx_after";
type Piece = string | { p: Slot };

/** The template text of plain (left-to-right) samples: the file as is. */
const PLAIN: Piece[] = [{ p: "prefix" }, { p: "middle" }, { p: "suffix" }];

function slotKind(slot: Slot): SegmentKind {
  return slot === "ctx_before" || slot === "ctx_after" ? "context" : slot;
}

/** The templates worth trying for a record, the most likely first. */
function candidates(record: SampleRecord): Piece[][] {
  const format = FORMATS[record.format];
  const psm = format?.psm ? (parseTemplate(format.psm) as Piece[]) : undefined;
  const spm = format?.spm ? (parseTemplate(format.spm) as Piece[]) : undefined;
  const ordered =
    record.mode === "plain" ? [PLAIN, psm, spm] : record.mode === "spm" ? [spm, psm, PLAIN] : [psm, spm, PLAIN];
  return ordered.filter((t): t is Piece[] => t !== undefined);
}

/** Fills a template with the record's parts; null when the result does not start the record's text. */
function replay(record: SampleRecord, template: Piece[]): Segment[] | null {
  const segments: Segment[] = [];
  let at = 0;
  for (const piece of template) {
    const text = typeof piece === "string" ? piece : (record[piece.p] ?? "");
    if (!record.text.startsWith(text, at)) return null;
    segments.push({ kind: typeof piece === "string" ? "marker" : slotKind(piece.p), text });
    at += text.length;
  }
  // Whatever follows the template is the end-of-text token.
  if (at < record.text.length) segments.push({ kind: "marker", text: record.text.slice(at) });
  return segments;
}

/**
 * Segments of `record.text`, in order, whose texts concatenate to `record.text` exactly; null when no template of the
 * record's format reproduces it (the preview then shows the parts on their own).
 */
export function segmentSample(record: SampleRecord): Segment[] | null {
  for (const template of candidates(record)) {
    const segments = replay(record, template);
    if (segments) return segments;
  }
  return null;
}
