//go:build cgo

// Depthwise conv kernels in C (depthwise.c), called from depthwise_cgo.go
// once per range of planes (forward, backward data) or channels (backward
// filter). Arrays are NCHW float32 as in package kernels.

#ifndef RDARTS_DEPTHWISE_H
#define RDARTS_DEPTHWISE_H

// rd_dw is a depthwise conv (C channels, one KH×KW filter each) with its
// output size oh×ow already worked out.
typedef struct {
	int n, c, h, w;
	int kh, kw, sh, sw, ph, pw, dh, dw;
	int oh, ow;
} rd_dw;

// rd_dw_forward writes y for planes [lo, hi) (plane = n·C + c).
// It returns 0, or -1 if it could not allocate its scratch.
int rd_dw_forward(rd_dw p, const float *x, const float *w, float *y, int lo, int hi);

// rd_dw_backward_data writes (add == 0) or adds the input gradient of
// planes [lo, hi) to dx.
int rd_dw_backward_data(rd_dw p, const float *dy, const float *w, float *dx, int lo, int hi, int add);

// rd_dw_backward_filter adds the filter gradient of channels [lo, hi) to
// dw, summing the images in order.
int rd_dw_backward_filter(rd_dw p, const float *x, const float *dy, float *dw, int lo, int hi);

// rd_dw_set_flat turns the flattened loops for narrow planes on (the
// default) or off; for tests, not while kernels run.
void rd_dw_set_flat(int on);

#endif
