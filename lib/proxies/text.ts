/** Word segmentation shared by the lexical proxies: lowercase runs of letters or of digits (Unicode aware). */
const WORD = /[\p{L}\p{M}]+|\p{N}+/gu;

export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}
