/**
 * Card numbers in free text. A primary account number typed into a description or a refund's
 * reason would land in the workflow history, the record and Zuz's request: free text refuses
 * anything that looks like one — 13 to 19 digits, with or without single spaces or dashes
 * between them, that pass the Luhn check (as every card number does, and one in ten other
 * numbers of that length: an order number may be refused too, which is the price).
 */

/** Runs of digits joined by at most one space or dash, as a card number is written. */
const DIGIT_RUNS = /\d(?:[ -]?\d)*/g;

export function containsCardNumber(text: string): boolean {
  for (const [run] of text.matchAll(DIGIT_RUNS)) {
    const digits = run.replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && passesLuhn(digits)) return true;
  }
  return false;
}

/** The Luhn checksum: every second digit from the right doubled (9 subtracted above 9), the sum a multiple of 10. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return sum % 10 === 0;
}
