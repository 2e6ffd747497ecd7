/*
 * A tiny unit-test harness for hirewire: no external test library.
 *
 *   static void test_something(void) {
 *           HW_CHECK(x > 0);
 *           HW_CHECK_EQ_INT(hw_slug("A", buf, sizeof(buf)), 1);
 *           HW_CHECK_STR(buf, "a");
 *   }
 *   int main(void) {
 *           HW_RUN(test_something);
 *           return hw_test_summary();
 *   }
 *
 * Every check counts; a failed check prints file:line, the expression and
 * the values (strings escaped), plus the current context set with
 * HW_CONTEXT(), and the run carries on. HW_RUN_ISOLATED runs a test in a
 * forked child, so a test that crashes (or that a sanitizer or valgrind
 * stops) is reported as a failure and the remaining tests still run; set
 * HW_TEST_NOFORK=1 to run such tests in-process (e.g. under gdb), and
 * HW_TEST_ONLY=substring to run only the tests whose name contains it.
 *
 * Each check evaluates to 1 when it passed and 0 when it failed, so a test
 * can stop early with `if (!HW_CHECK(p != NULL)) return;`.
 * hw_test_summary() returns the exit status for main: 0 when every check
 * passed (and at least one ran), 1 otherwise.
 */
#ifndef HW_TEST_H
#define HW_TEST_H

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define HW_TEST_UNUSED __attribute__((unused))

/* A loopback port nothing listens on: bound, then closed. 0 when none
 * could be had. */
HW_TEST_UNUSED static int hw_test_closed_port(void) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
            !getsockname(fd, (struct sockaddr *)&a, &len))
                port = ntohs(a.sin_port);
        if (fd >= 0)
                close(fd);
        return port;
}

typedef struct hw_test_state_s {
        unsigned long checks;   /* checks evaluated */
        unsigned long failures; /* checks failed */
        unsigned tests;         /* tests run */
        unsigned failed_tests;  /* tests with at least one failed check */
        const char *test;       /* name of the running test */
        char context[512];      /* extra text printed with a failure */
        /* Called in an isolated test's child before it exits, to free
         * what the parent set up (so leak checkers see only the test's
         * own leaks). */
        void (*child_teardown)(void);
} hw_test_state_t;

/* One state per test program, shared by its files (a weak definition in
 * each, merged by the linker), so checks made in shared fixtures count. */
hw_test_state_t hw_test_state __attribute__((weak));

/* Sets (fmt non-empty) or clears (HW_CONTEXT("")) the text printed with
 * every failure until the next call or the end of the test. */
HW_TEST_UNUSED __attribute__((format(printf, 1, 2))) static void
hw_test_context(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(hw_test_state.context, sizeof(hw_test_state.context), fmt,
                  ap);
        va_end(ap);
}
#define HW_CONTEXT(...) hw_test_context(__VA_ARGS__)

/* Prints s (n bytes, or up to the NUL when n == SIZE_MAX) quoted, with
 * non-printable bytes as \xHH; at most 300 bytes are shown. */
HW_TEST_UNUSED static void hw_test_print_str(const char *s, size_t n) {
        size_t i, shown = 0;
        if (!s) {
                fputs("NULL", stderr);
                return;
        }
        fputc('"', stderr);
        for (i = 0; (n == SIZE_MAX ? s[i] != '\0' : i < n); i++) {
                unsigned char c = (unsigned char)s[i];
                if (shown++ == 300) {
                        fputs("...", stderr);
                        break;
                }
                if (c == '"' || c == '\\')
                        fprintf(stderr, "\\%c", c);
                else if (c >= 0x20 && c < 0x7f)
                        fputc(c, stderr);
                else
                        fprintf(stderr, "\\x%02X", c);
        }
        fputc('"', stderr);
        if (n == SIZE_MAX ? s[i] == '\0' : 1)
                fprintf(stderr, " (%zu bytes)", i);
}

/* Records one check; on failure prints the location and, through fmt, the
 * values. Returns ok. */
HW_TEST_UNUSED __attribute__((format(printf, 4, 5))) static int
hw_test_report(int ok, const char *file, int line, const char *fmt, ...) {
        va_list ap;
        hw_test_state.checks++;
        if (ok)
                return 1;
        hw_test_state.failures++;
        fprintf(stderr, "%s:%d: FAIL in %s: ", file, line,
                hw_test_state.test ? hw_test_state.test : "?");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (hw_test_state.context[0])
                fprintf(stderr, "    context: %s\n", hw_test_state.context);
        return 0;
}

HW_TEST_UNUSED static int hw_test_check_int(intmax_t a, intmax_t b, int eq,
                                            const char *file, int line,
                                            const char *ea, const char *eb) {
        int ok = eq ? a == b : a != b;
        return hw_test_report(
                ok, file, line, "%s %s %s: %jd (0x%jx) vs %jd (0x%jx)", ea,
                eq ? "==" : "!=", eb, a, (uintmax_t)a, b, (uintmax_t)b);
}

HW_TEST_UNUSED static int hw_test_check_str(const char *a, const char *b,
                                            const char *file, int line,
                                            const char *ea, const char *eb) {
        int ok = (!a && !b) || (a && b && strcmp(a, b) == 0);
        if (!hw_test_report(ok, file, line, "%s == %s", ea, eb)) {
                fputs("    actual:   ", stderr);
                hw_test_print_str(a, SIZE_MAX);
                fputs("\n    expected: ", stderr);
                hw_test_print_str(b, SIZE_MAX);
                fputc('\n', stderr);
        }
        return ok;
}

HW_TEST_UNUSED static int
hw_test_check_contains(const char *hay, const char *needle, const char *file,
                       int line, const char *eh, const char *en) {
        int ok = hay && needle && strstr(hay, needle) != NULL;
        if (!hw_test_report(ok, file, line, "%s contains %s", eh, en)) {
                fputs("    string: ", stderr);
                hw_test_print_str(hay, SIZE_MAX);
                fputs("\n    wanted: ", stderr);
                hw_test_print_str(needle, SIZE_MAX);
                fputc('\n', stderr);
        }
        return ok;
}

HW_TEST_UNUSED static int hw_test_check_mem(const void *a, const void *b,
                                            size_t n, const char *file,
                                            int line, const char *ea,
                                            const char *eb) {
        const unsigned char *pa = a, *pb = b;
        size_t i = 0;
        if (a && b)
                while (i < n && pa[i] == pb[i])
                        i++;
        int ok = a && b && i == n;
        if (!hw_test_report(ok, file, line, "%s == %s (%zu bytes)", ea, eb,
                            n)) {
                if (a && b)
                        fprintf(stderr,
                                "    first difference at byte %zu: 0x%02X vs "
                                "0x%02X\n",
                                i, pa[i], pb[i]);
        }
        return ok;
}

/* The checks. Each evaluates to 1 (passed) or 0 (failed). */
#define HW_CHECK(cond) hw_test_report(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define HW_CHECK_MSG(cond, ...)                                                \
        hw_test_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define HW_CHECK_EQ_INT(a, b)                                                  \
        hw_test_check_int((intmax_t)(a), (intmax_t)(b), 1, __FILE__, __LINE__, \
                          #a, #b)
#define HW_CHECK_NE_INT(a, b)                                                  \
        hw_test_check_int((intmax_t)(a), (intmax_t)(b), 0, __FILE__, __LINE__, \
                          #a, #b)
/* Both NULL counts as equal. */
#define HW_CHECK_STR(a, b)                                                     \
        hw_test_check_str((a), (b), __FILE__, __LINE__, #a, #b)
#define HW_CHECK_NULL(p)                                                       \
        hw_test_report((p) == NULL, __FILE__, __LINE__, "%s is NULL", #p)
#define HW_CHECK_CONTAINS(hay, needle)                                         \
        hw_test_check_contains((hay), (needle), __FILE__, __LINE__, #hay,      \
                               #needle)
#define HW_CHECK_MEM(a, b, n)                                                  \
        hw_test_check_mem((a), (b), (n), __FILE__, __LINE__, #a, #b)

/* Runs one test function (void f(void)). */
#define HW_RUN(fn) hw_test_run(#fn, fn)

/* False when HW_TEST_ONLY is set and name does not contain it. */
HW_TEST_UNUSED static int hw_test_selected(const char *name) {
        const char *only = getenv("HW_TEST_ONLY");
        return !only || !*only || strstr(name, only) != NULL;
}

HW_TEST_UNUSED static void hw_test_run(const char *name, void (*fn)(void)) {
        unsigned long before = hw_test_state.failures;
        unsigned long checks = hw_test_state.checks;
        if (!hw_test_selected(name))
                return;
        hw_test_state.test = name;
        hw_test_state.context[0] = '\0';
        fn();
        hw_test_state.tests++;
        if (hw_test_state.failures != before)
                hw_test_state.failed_tests++;
        fprintf(stderr, "%-4s %s (%lu checks)\n",
                hw_test_state.failures == before ? "ok" : "FAIL", name,
                hw_test_state.checks - checks);
        hw_test_state.test = NULL;
        hw_test_state.context[0] = '\0';
}

/*
 * Runs fn in a forked child. The child's counts come back through a pipe;
 * a child killed by a signal, or exiting with another status (e.g.
 * LeakSanitizer's or valgrind's error exit code), counts as one failure.
 * The child runs hw_test_state.child_teardown (if set) and returns through
 * exit(), so leak checkers run in it too; run isolated tests before
 * in-process ones, so a child does not inherit the parent's leaks.
 */
#define HW_RUN_ISOLATED(fn) hw_test_run_isolated(#fn, fn)

HW_TEST_UNUSED static void hw_test_run_isolated(const char *name,
                                                void (*fn)(void)) {
        const char *nofork = getenv("HW_TEST_NOFORK");
        unsigned long counts[2] = {0, 0};
        int fds[2], status = 0;
        pid_t pid;
        ssize_t got;

        if (!hw_test_selected(name))
                return;
        if ((nofork && *nofork && strcmp(nofork, "0") != 0) || pipe(fds)) {
                hw_test_run(name, fn);
                return;
        }
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                hw_test_run(name, fn);
                return;
        }
        if (pid == 0) {
                close(fds[0]);
                hw_test_state.checks = hw_test_state.failures = 0;
                hw_test_state.test = name;
                hw_test_state.context[0] = '\0';
                fn();
                counts[0] = hw_test_state.checks;
                counts[1] = hw_test_state.failures;
                if (write(fds[1], counts, sizeof(counts)) != sizeof(counts))
                        _exit(3);
                close(fds[1]);
                if (hw_test_state.child_teardown)
                        hw_test_state.child_teardown();
                fflush(stderr);
                exit(0);
        }
        close(fds[1]);
        got = read(fds[0], counts, sizeof(counts));
        close(fds[0]);
        while (waitpid(pid, &status, 0) < 0)
                ;
        hw_test_state.test = name;
        if (got == (ssize_t)sizeof(counts)) {
                hw_test_state.checks += counts[0];
                hw_test_state.failures += counts[1];
        } else {
                counts[0] = counts[1] = 0;
        }
        if (WIFSIGNALED(status))
                hw_test_report(0, __FILE__, __LINE__,
                               "%s crashed with signal %d (the "
                               "checks it made are lost)",
                               name, WTERMSIG(status));
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                hw_test_report(0, __FILE__, __LINE__,
                               "%s exited with status %d (a sanitizer or "
                               "valgrind error?)",
                               name, WEXITSTATUS(status));
        hw_test_state.tests++;
        if (counts[1] || WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
                hw_test_state.failed_tests++;
                fprintf(stderr, "FAIL %s (%lu checks, isolated)\n", name,
                        counts[0]);
        } else {
                fprintf(stderr, "ok   %s (%lu checks, isolated)\n", name,
                        counts[0]);
        }
        hw_test_state.test = NULL;
}

/* Prints the totals; returns 0 when every check passed, else 1. */
HW_TEST_UNUSED static int hw_test_summary(void) {
        fprintf(stderr, "%u tests, %lu checks, %lu failed checks in %u tests\n",
                hw_test_state.tests, hw_test_state.checks,
                hw_test_state.failures, hw_test_state.failed_tests);
        return hw_test_state.failures == 0 && hw_test_state.checks > 0 ? 0 : 1;
}

#endif
