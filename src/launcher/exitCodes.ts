/**
 * `serve` exits with this (EX_CONFIG from sysexits.h) when its data cannot be used as it is: a
 * damaged database file, or one written by a newer version. Restarting would only fail the same
 * way, so the launcher gives the suite up at once with the reason from its log.
 */
export const EXIT_REFUSED_DATA = 78;
