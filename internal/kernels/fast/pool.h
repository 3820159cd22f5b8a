//go:build cgo

// Pooling kernels in C (pool.c), called from pool_cgo.go once per range of
// planes. Arrays are NCHW float32 as in package kernels.

#ifndef RDARTS_POOL_H
#define RDARTS_POOL_H

#include <stdint.h>

// rd_pool is a square k×k pool with stride s and padding p over h×w
// planes, with its output size oh×ow already worked out.
typedef struct {
	int h, w, k, s, p, oh, ow;
} rd_pool;

// rd_maxpool_forward writes y and arg (the winner's flat index in its
// plane) for planes [lo, hi). It returns 0, or -1 if it could not
// allocate its scratch.
int rd_maxpool_forward(rd_pool q, const float *x, float *y, int32_t *arg, int lo, int hi);

// rd_avgpool_forward writes y for planes [lo, hi).
int rd_avgpool_forward(rd_pool q, const float *x, float *y, int lo, int hi);

// rd_avgpool_backward adds the input gradient of planes [lo, hi) to dx.
int rd_avgpool_backward(rd_pool q, const float *dy, float *dx, int lo, int hi);

#endif
