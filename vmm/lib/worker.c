/* SPDX-License-Identifier: MIT */
/* A worker thread with one job slot (worker.h). */
#include "lib/worker.h"

#include <stddef.h>

static void *worker_main(void *arg)
{
	struct worker *k = arg;

	pthread_mutex_lock(&k->mu);
	for (;;) {
		int rc;

		while (!k->busy && !k->stop)
			pthread_cond_wait(&k->cv, &k->mu);
		if (!k->busy)
			break; /* stop, and nothing posted */
		pthread_mutex_unlock(&k->mu);
		rc = k->fn(k->arg);
		pthread_mutex_lock(&k->mu);
		/* Release: whoever sees failed != 0 without the mutex also sees what fn wrote before. */
		if (rc && !k->failed)
			__atomic_store_n(&k->failed, rc, __ATOMIC_RELEASE);
		k->busy = false;
		pthread_cond_broadcast(&k->cv);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

int worker_start(struct worker *k, int (*fn)(void *arg), void *arg)
{
	int rc;

	k->busy = k->stop = false;
	k->failed = 0;
	k->fn = fn;
	k->arg = arg;
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	rc = pthread_create(&k->th, NULL, worker_main, k);
	if (rc) {
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
	}
	return -rc;
}

void worker_post(struct worker *k)
{
	pthread_mutex_lock(&k->mu);
	k->busy = true;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

int worker_wait(struct worker *k)
{
	int rc;

	pthread_mutex_lock(&k->mu);
	while (k->busy)
		pthread_cond_wait(&k->cv, &k->mu);
	rc = k->failed;
	pthread_mutex_unlock(&k->mu);
	return rc;
}

bool worker_busy(struct worker *k)
{
	bool busy;

	pthread_mutex_lock(&k->mu);
	busy = k->busy;
	pthread_mutex_unlock(&k->mu);
	return busy;
}

int worker_failed(struct worker *k)
{
	/* Acquire: pairs with worker_main's release. */
	return __atomic_load_n(&k->failed, __ATOMIC_ACQUIRE);
}

void worker_clear(struct worker *k)
{
	pthread_mutex_lock(&k->mu);
	while (k->busy)
		pthread_cond_wait(&k->cv, &k->mu);
	__atomic_store_n(&k->failed, 0, __ATOMIC_RELAXED); /* idle: nobody else writes it now */
	pthread_mutex_unlock(&k->mu);
}

void worker_stop(struct worker *k)
{
	pthread_mutex_lock(&k->mu);
	k->stop = true;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->th, NULL);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
}
