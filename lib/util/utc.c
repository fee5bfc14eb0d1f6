/*
 * UTC calendar arithmetic without the C library's time zone code: glibc's
 * gmtime_r() initialises its time zone state on first use, which opens and
 * parses /etc/localtime (or $TZ's file) in every hook run, for a record
 * whose times are all UTC anyway.
 */
#include <stdio.h>

#include "internal.h"

/*
 * Year, month and day of day z counted from 1970-01-01 in the proleptic
 * Gregorian calendar.  Days are counted from 0000-03-01 so that the leap
 * day ends a year; a 400-year era has 146097 days.
 */
static void
civil(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468; /* days from 0000-03-01 to 1970-01-01 */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153; /* March is 0 */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

void
tk_utc_split(int64_t t, struct tk_utc *u)
{
	int64_t days, secs;

	/* outside +-2^55 seconds (a billion years) the arithmetic would not */
	if (t > ((int64_t)1 << 55))
		t = (int64_t)1 << 55;
	if (t < -((int64_t)1 << 55))
		t = -((int64_t)1 << 55);
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil(days, &u->year, &u->mon, &u->mday);
	u->hour = (int)(secs / 3600);
	u->min = (int)(secs / 60 % 60);
	u->sec = (int)(secs % 60);
}

void
tk_utc_format(char out[TK_UTC_LEN + 1], int64_t t)
{
	struct tk_utc u;

	tk_utc_split(t, &u);
	if (u.year > 9999) {
		memcpy(out, "9999-12-31T23:59:59Z", TK_UTC_LEN + 1);
		return;
	}
	if (u.year < 0) {
		memcpy(out, "0000-01-01T00:00:00Z", TK_UTC_LEN + 1);
		return;
	}
	snprintf(out, TK_UTC_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    (int)u.year, u.mon, u.mday, u.hour, u.min, u.sec);
}
