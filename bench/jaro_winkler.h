/* Jaro-Winkler similarity, the baseline matcher of the benchmarks (shared by
 * bench_match_quality.c and bench_match_speed.c). Strings longer than max
 * bytes (at most 128) score 0. */
#ifndef ATT_BENCH_JARO_WINKLER_H
#define ATT_BENCH_JARO_WINKLER_H

#include <stdbool.h>
#include <stddef.h>

static inline double jaro_winkler_max(const char *a, size_t la, const char *b, size_t lb,
				      size_t max)
{
	bool ma[128] = {0}, mb[128] = {0};
	size_t win, m = 0, t = 0, k = 0, l = 0;
	double j;

	if (max > 128)
		max = 128;
	if (la == 0 || lb == 0 || la > max || lb > max)
		return 0;
	win = (la > lb ? la : lb) / 2;
	win = win ? win - 1 : 0;
	for (size_t i = 0; i < la; i++) {
		size_t lo = i > win ? i - win : 0, hi = i + win + 1 < lb ? i + win + 1 : lb;

		for (size_t q = lo; q < hi; q++)
			if (!mb[q] && a[i] == b[q]) {
				ma[i] = mb[q] = true;
				m++;
				break;
			}
	}
	if (!m)
		return 0;
	for (size_t i = 0; i < la; i++)
		if (ma[i]) {
			while (!mb[k])
				k++;
			if (a[i] != b[k])
				t++;
			k++;
		}
	j = ((double)m / (double)la + (double)m / (double)lb + (double)(m - t / 2) / (double)m) / 3;
	while (l < 4 && l < la && l < lb && a[l] == b[l])
		l++;
	return j + (double)l * 0.1 * (1 - j);
}

#endif
