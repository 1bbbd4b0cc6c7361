/* SPDX-License-Identifier: MIT */
/*
 * A worker thread with one job slot: the owner fills the job (its own fields, behind arg) while the
 * worker is idle, posts it, and goes on; the next post, or a wait, waits until the worker is done.
 * The stream's sender thread (mig/stream_sender.c) and checker thread (mig/stream_checker.c) are two.
 * A job's failure (fn's non-zero return) is kept until worker_clear; fn writes its message where its
 * owner reads it before returning: worker_failed's acquire sees it complete.
 */
#ifndef RVMIG_LIB_WORKER_H
#define RVMIG_LIB_WORKER_H

#include <pthread.h>
#include <stdbool.h>

struct worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* both ways: a job for the thread, the thread idle again */
	bool busy, stop;
	int failed; /* the first failed job's return; written under mu, read also without (atomics) */
	int (*fn)(void *arg);
	void *arg;
};

/* 0, or the -errno of pthread_create. */
int worker_start(struct worker *k, int (*fn)(void *arg), void *arg);
/* Runs fn(arg) once on the worker; the caller waited for it to be idle (worker_wait) and filled the job. */
void worker_post(struct worker *k);
/* Waits until the worker is idle; its failure, or 0. */
int worker_wait(struct worker *k);
/* Whether a job is running now (it may end right after). */
bool worker_busy(struct worker *k);
/* A failure posted, without waiting (acquire: the job's message is complete). */
int worker_failed(struct worker *k);
/* Waits until idle and forgets the failure. */
void worker_clear(struct worker *k);
/* Finishes a running job, then ends the thread. */
void worker_stop(struct worker *k);

#endif
