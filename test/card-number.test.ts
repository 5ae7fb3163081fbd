/** What free text refuses as a card number (src/transaction/card-number.ts), and what it lets through. */
import { containsCardNumber, passesLuhn } from '../src/transaction/card-number';

test.each([
  'card 4111 1111 1111 1111',
  '4111-1111-1111-1111',
  'Visa 4012888888881881 expired',
  '378282246310005', // 15 digits (American Express)
  '6011 0009 9013 9424',
])('%s looks like a card number', (text) => {
  expect(containsCardNumber(text)).toBe(true);
});

test.each([
  'order 4111 1111 1111 1112', // fails the Luhn check
  'table 12, 2 guests',
  '411111111111', // 12 digits: too short
  '41111111111111111111111', // 23 digits: not a card number
  'invoice 2026-12-07',
  '',
])('%s does not', (text) => {
  expect(containsCardNumber(text)).toBe(false);
});

test('the Luhn check', () => {
  expect(passesLuhn('79927398713')).toBe(true);
  expect(passesLuhn('79927398710')).toBe(false);
});
