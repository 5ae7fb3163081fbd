/**
 * The typed search attributes that make transactions filterable in the Temporal Web UI and
 * visibility queries. The dev server registers them at start (`--search-attribute`); a
 * production namespace must have them (the worker checks at start-up).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const transactionStatusKey = defineSearchAttributeKey('TransactionStatus', SearchAttributeType.KEYWORD);
export const customerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const transactionAmountKey = defineSearchAttributeKey('TransactionAmount', SearchAttributeType.INT);
/** Whose transaction it is; absent on transactions started before merchants existed (the default merchant's). */
export const merchantIdKey = defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD);

export const transactionSearchAttributes = [transactionStatusKey, customerIdKey, transactionAmountKey, merchantIdKey];
