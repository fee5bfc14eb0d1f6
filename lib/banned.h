/*
 * Functions that have no place in code reading attacker-controlled bytes:
 * unbounded copies, non-reentrant time conversion, racy temporary names.
 * Using one is a compile error.
 */
#ifndef TK_BANNED_H
#define TK_BANNED_H

#define TK_BANNED(f) sorry_##f##_is_banned_in_twokey

#undef strcpy
#define strcpy(a, b) TK_BANNED(strcpy)
#undef strcat
#define strcat(a, b) TK_BANNED(strcat)
#undef strncpy
#define strncpy(a, b, n) TK_BANNED(strncpy)
#undef strncat
#define strncat(a, b, n) TK_BANNED(strncat)
#undef sprintf
#define sprintf(...) TK_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) TK_BANNED(vsprintf)
#undef strtok
#define strtok(a, b) TK_BANNED(strtok)
#undef gets
#define gets(a) TK_BANNED(gets)
#undef gmtime
#define gmtime(t) TK_BANNED(gmtime)
#undef localtime
#define localtime(t) TK_BANNED(localtime)
#undef ctime
#define ctime(t) TK_BANNED(ctime)
#undef asctime
#define asctime(t) TK_BANNED(asctime)
#undef mktemp
#define mktemp(t) TK_BANNED(mktemp)
#undef tmpnam
#define tmpnam(t) TK_BANNED(tmpnam)
#undef atoi
#define atoi(s) TK_BANNED(atoi)

#endif
