// Pure ledger arithmetic: amounts are integer minor units, so no rounding
// error creeps into a balance.

import { config } from "../config/config";

export type Denomination = "USD" | "ZAR" | "ZWG" | "CXX";

export interface Credex {
  issuer: string;
  receiver: string;
  amount: number; // minor units
  denomination: Denomination;
}

/** Net balance of an account over a list of credexes, in minor units. */
export function balance(account: string, credexes: Credex[]): number {
  return credexes.reduce((sum, c) => {
    if (c.receiver === account) return sum + c.amount;
    if (c.issuer === account) return sum - c.amount;
    return sum;
  }, 0);
}

/**
 * Converts minor units between denominations, given rates per USD (as Open
 * Exchange Rates reports them). Rounds half away from zero.
 */
export function convert(amount: number, from: Denomination, to: Denomination, perUSD: Record<Denomination, number>): number {
  if (!(perUSD[from] > 0) || !(perUSD[to] > 0)) {
    throw new RangeError(`no rate for ${from} or ${to}`);
  }
  const value = (amount / perUSD[from]) * perUSD[to];
  return Math.sign(value) * Math.round(Math.abs(value));
}

/** The rates endpoint, keyed with the configured API key. */
export function ratesURL(): string {
  return `https://openexchangerates.org/api/latest.json?app_id=${encodeURIComponent(config.openExchangeRatesKey)}`;
}
