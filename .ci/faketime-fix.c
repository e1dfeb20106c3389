/* For .ci/dates only: works around two libfaketime 0.9.10 bugs (Debian 12's version) that hit Python when the
 * monotonic clock is not faked (FAKETIME_DONT_FAKE_MONOTONIC=1), by handing monotonic waits straight to glibc:
 * - clock_nanosleep (wolfcw/libfaketime#426): an absolute CLOCK_MONOTONIC deadline is converted as if that clock
 *   were faked and the kernel gets a negative time (EINVAL); Python 3.11's time.sleep makes exactly that call.
 * - pthread_cond_timedwait (fixed upstream by wolfcw/libfaketime#503): a wait on a CLOCK_MONOTONIC condition
 *   variable is measured against the faked clock and times out at once; CPython's GIL waits on one, so threads
 *   spin on the GIL and two busy processes run several times slower.
 * Every other call goes on to libfaketime. Built by .ci/dates into a temporary directory. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef int (*timedwait_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
typedef int (*nanosleep_fn)(clockid_t, int, const struct timespec *, struct timespec *);

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *request, struct timespec *remain)
{
    static nanosleep_fn next;

    if (clock_id == CLOCK_MONOTONIC) {
        /* clock_nanosleep returns the error number itself, where syscall() returns -1 and sets errno */
        return syscall(SYS_clock_nanosleep, clock_id, flags, request, remain) == -1 ? errno : 0;
    }
    if (next == NULL)
        next = (nanosleep_fn)dlsym(RTLD_NEXT, "clock_nanosleep");
    return next(clock_id, flags, request, remain);
}

int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *abstime)
{
    static timedwait_fn glibc, next;

    /* glibc keeps a condition variable's clock in bit 1 of __wrefs (1 = CLOCK_MONOTONIC) */
    if (cond->__data.__wrefs & 2) {
        if (glibc == NULL)
            glibc = (timedwait_fn)dlvsym(dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD), "pthread_cond_timedwait",
                                         "GLIBC_2.3.2");
        return glibc(cond, mutex, abstime);
    }
    if (next == NULL)
        next = (timedwait_fn)dlvsym(RTLD_NEXT, "pthread_cond_timedwait", "GLIBC_2.3.2");
    return next(cond, mutex, abstime);
}
