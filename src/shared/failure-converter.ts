/**
 * The failure converter of the service's clients and workers with payload encryption on (loaded
 * by path: the SDK takes failure converters as modules). It moves each failure's message and
 * stack trace into `encodedAttributes`, a payload, so the codec encrypts them like any other:
 * a Zuz error message naming an amount or a payment stays out of Temporal's history.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
