/* os.h - every compile-time portability choice, in one place. */
#ifndef FDRELAY_OS_H
#define FDRELAY_OS_H

#include "config.h"

#include <fcntl.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * Receiving descriptors close-on-exec atomically: Linux and the BSDs have
 * MSG_CMSG_CLOEXEC; elsewhere (macOS) FD_CLOEXEC is set right after
 * receipt, and everything received is closed if that fails.
 */
#ifdef MSG_CMSG_CLOEXEC
#define OS_MSG_CMSG_CLOEXEC MSG_CMSG_CLOEXEC
#define OS_HAVE_MSG_CMSG_CLOEXEC 1
#else
#define OS_MSG_CMSG_CLOEXEC 0
#endif

/* Sends never raise SIGPIPE (macOS: SO_NOSIGPIPE would be set instead). */
#ifdef MSG_NOSIGNAL
#define OS_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define OS_MSG_NOSIGNAL 0
#endif

/*
 * Credentials as a control message: Linux SCM_CREDENTIALS (struct ucred,
 * needs SO_PASSCRED on the receiver), FreeBSD SCM_CREDS (struct cmsgcred,
 * filled in by the kernel).  Others have none.
 */
#if defined(SCM_CREDENTIALS) && defined(SO_PASSCRED)
#define OS_CRED_LINUX 1
#elif defined(SCM_CREDS) && defined(__FreeBSD__)
#define OS_CRED_FREEBSD 1
#endif

/*
 * Linux 6.5 pidfd options, missing from older headers; the kernel ABI
 * values are fixed.
 */
#ifdef __linux__
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif
#endif

/*
 * Which socket option tells a socket's address family: Linux and FreeBSD
 * have SO_DOMAIN; elsewhere getsockname(2) reports it.
 */
#ifdef SO_DOMAIN
#define OS_HAVE_SO_DOMAIN 1
#endif

/*
 * Peer credentials of a connected AF_UNIX socket: Linux SO_PEERCRED
 * (struct ucred), OpenBSD SO_PEERCRED (struct sockpeercred), FreeBSD and
 * macOS LOCAL_PEERCRED (struct xucred, no pid before FreeBSD 13), or
 * getpeereid(3) (no pid) elsewhere.
 */
#if defined(__linux__) && defined(SO_PEERCRED)
#define OS_PEERCRED_UCRED 1
#elif defined(__OpenBSD__) && defined(SO_PEERCRED)
#define OS_PEERCRED_SOCKPEERCRED 1
#elif defined(LOCAL_PEERCRED)
#define OS_PEERCRED_XUCRED 1
#elif defined(HAVE_GETPEEREID)
#define OS_PEERCRED_GETPEEREID 1
#endif

/* Without MSG_NOSIGNAL (macOS), SO_NOSIGPIPE is set on the socket instead. */
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
#define OS_SO_NOSIGPIPE 1
#endif

/*
 * Long socket paths go through a descriptor of the parent directory:
 * O_PATH where it exists (Linux), a plain read-only open elsewhere.
 */
#ifdef O_PATH
#define OS_O_PATH O_PATH
#else
#define OS_O_PATH O_RDONLY
#endif

/*
 * macOS keeps the untruncated size in cmsg_len after truncating: the
 * parser clamps every length to the bytes present, on every system.
 */

#endif
