"""Buggy variants of assignment 02 (normalization): the mistakes students really make."""

from variants import Bug, mark

# A correct train/eval skeleton of batchnorm_forward; bugs below change one idea at a time.
_BN = """
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = {eps}
    momentum = {momentum}
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", {var0})
    if mode == "train":
        mu = x.mean(axis=0)
        var = {var}
        x_hat = {x_hat}
        inv_std = 1.0 / np.sqrt(var + eps)
        bn_param["running_mean"] = {rm_update}
        bn_param["running_var"] = {rv_update}
    else:
        inv_std = 1.0 / np.sqrt(running_var + eps)
        x_hat = {eval_x_hat}{eval_extra}
    out = gamma * x_hat + beta
    return out, (x_hat, gamma, inv_std)
"""
_BN_OK = dict(
    eps='bn_param.get("eps", 1e-5)',
    momentum='bn_param.get("momentum", 0.1)',
    var0="np.ones(D)",
    var="x.var(axis=0)",
    x_hat="(x - mu) / np.sqrt(var + eps)",
    rm_update="(1 - momentum) * running_mean + momentum * mu",
    rv_update="(1 - momentum) * running_var + momentum * var * N / (N - 1)",
    eval_x_hat="(x - running_mean) * inv_std",
    eval_extra="",
)


def bn(**changes):
    return _BN.format(**{**_BN_OK, **changes})


_BNB = """
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    N = dout.shape[{n_axis}]
    dbeta = {dbeta}
    dgamma = {dgamma}
    dxhat = {dxhat}
    dx = {dx}
    return dx, dgamma, dbeta
"""
_BNB_OK = dict(
    n_axis=0,
    dbeta="dout.sum(axis=0)",
    dgamma="(dout * x_hat).sum(axis=0)",
    dxhat="dout * gamma",
    dx="inv_std / N * (N * dxhat - dxhat.sum(axis=0) - x_hat * (dxhat * x_hat).sum(axis=0))",
)


def bnb(**changes):
    return _BNB.format(**{**_BNB_OK, **changes})


_SBN = """
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.1)
    rm = bn_param.get("running_mean", np.zeros(C))
    rv = bn_param.get("running_var", np.ones(C))
    {body}
    return out, None
"""
_SBN_OK_TRAIN = """
    if bn_param["mode"] == "train":
        m = N * H * W
        mu = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        bn_param["running_mean"] = (1 - momentum) * rm + momentum * mu
        bn_param["running_var"] = (1 - momentum) * rv + momentum * var * {m} / ({m} - 1)
    else:
        mu, var = rm, rv
    s = (1, C, 1, 1)
    out = gamma.reshape(s) * (x - mu.reshape(s)) / np.sqrt(var.reshape(s) + eps) + beta.reshape(s)"""


def sbn(body=None, m="m"):
    return _SBN.format(body=(body or _SBN_OK_TRAIN.format(m=m)).strip())


_GBN = """
def ghost_batchnorm_forward(x, gamma, beta, bn_param, virtual_batch_size):
    N, D = x.shape
    v = virtual_batch_size
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.1)
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.ones(D))
    if bn_param["mode"] == "train":
        xs = {chunks}
        mu = xs.mean(axis=1, keepdims=True)
        var = xs.var(axis=1, keepdims=True{ddof})
        x_hat = {x_hat}
{update}
        bn_param["running_mean"], bn_param["running_var"] = rm, rv
    else:
{eval}
    return gamma * x_hat + beta, None
"""
_GBN_OK = dict(
    chunks="x.reshape(N // v, v, D)",
    ddof="",
    x_hat="((xs - mu) / np.sqrt(var + eps)).reshape(N, D)",
    update="""        for k in range(N // v):
            rm = (1 - momentum) * rm + momentum * mu[k, 0]
            rv = (1 - momentum) * rv + momentum * var[k, 0] * v / (v - 1)""",
    eval="        x_hat = (x - rm) / np.sqrt(rv + eps)",
)


def gbn(**changes):
    return _GBN.format(**{**_GBN_OK, **changes})


_LN = """
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis={axis}, keepdims=True)
    var = x.var(axis={axis}, keepdims=True{ddof})
    inv_std = 1.0 / np.sqrt(var + {eps})
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)
"""


def ln(axis=1, ddof="", eps="eps"):
    return _LN.format(axis=axis, ddof=ddof, eps=eps)


_LNB = """
def layernorm_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    D = dout.shape[1]
    dbeta = {dbeta}
    dgamma = {dgamma}
    dxhat = {dxhat}
    dx = inv_std / D * (
        D * dxhat - dxhat.sum(axis={ax}, keepdims=True) - x_hat * (dxhat * x_hat).sum(axis={ax}, keepdims=True)
    )
    return dx, dgamma, dbeta
"""


def lnb(dbeta="dout.sum(axis=0)", dgamma="(dout * x_hat).sum(axis=0)", dxhat="dout * gamma", ax=1):
    return _LNB.format(dbeta=dbeta, dgamma=dgamma, dxhat=dxhat, ax=ax)


_IN = """
def instancenorm_forward(x, eps=1e-5):
    mu = x.mean(axis={axes}, keepdims=True)
    var = x.var(axis={axes}, keepdims=True)
    return (x - mu) / np.sqrt(var + {eps})
"""

_GN = """
def groupnorm_forward(x, gamma, beta, num_groups, eps=1e-5):
    N, C, H, W = x.shape
    G = num_groups
    xg = x.reshape({shape})
    mu = xg.mean(axis={axes}, keepdims=True)
    var = xg.var(axis={axes}, keepdims=True{ddof})
    x_hat = ((xg - mu) / np.sqrt(var + {eps})).reshape(N, C, H, W)
    return gamma[None, :, None, None] * x_hat + beta[None, :, None, None]
"""


def gn(shape="N, G, C // G, H, W", axes="(2, 3, 4)", ddof="", eps="eps"):
    return _GN.format(shape=shape, axes=axes, ddof=ddof, eps=eps)


_RMS = """
def rmsnorm_forward(x, weight, eps):
    return {body}
"""

_RMSM = """
class RMSNorm(torch.nn.Module):
    def __init__(self, normalized_shape, eps=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.weight = {weight}

    def forward(self, x):
        dims = {dims}
        eps = {eps}
        {body}
"""
_RMSM_OK = dict(
    weight="torch.nn.Parameter(torch.ones(self.normalized_shape))",
    dims="tuple(range(-len(self.normalized_shape), 0))",
    eps="torch.finfo(x.dtype).eps if self.eps is None else self.eps",
    body="return x * torch.rsqrt(x.pow(2).mean(dim=dims, keepdim=True) + eps) * self.weight",
)


def rmsm(**changes):
    return _RMSM.format(**{**_RMSM_OK, **changes})


_WN = """
def weight_norm(v, g, dim=0):
    {body}
"""
_WN_OK = """if dim is None:
        return g * v / np.sqrt(np.sum(v ** 2))
    axes = tuple(a for a in range(v.ndim) if a != dim)
    return g * v / np.sqrt(np.sum(v ** 2, axis=axes, keepdims=True))"""

_SN = """
def spectral_norm_step(W, u, n_power_iterations=1, eps=1e-12):
    u_in = u
    for _ in range({iters}):
        v = {v}
        v = v / max(np.linalg.norm(v), eps){v_norm_off}
        u = W @ v
        u = u / max(np.linalg.norm(u), eps)
    sigma = {sigma}{after}
    return W / sigma, {u_out}, sigma
"""
_SN_OK = dict(iters="n_power_iterations", v="W.T @ u", v_norm_off="", sigma="u @ W @ v", after="", u_out="u")


def sn(**changes):
    return _SN.format(**{**_SN_OK, **changes})


_BLOCK = """
class {cls}(nn.Module):
    def __init__(self, d_model, attn, ffn, eps=1e-5):
        super().__init__()
        self.attn = attn
        self.ffn = ffn
        self.norm1 = nn.LayerNorm(d_model{eps})
        self.norm2 = nn.LayerNorm(d_model{eps})

    def forward(self, x):
        {body}
        return x
"""
PRE_OK = "x = x + self.attn(self.norm1(x))\n        x = x + self.ffn(self.norm2(x))"
POST_OK = "x = self.norm1(x + self.attn(x))\n        x = self.norm2(x + self.ffn(x))"


def blk(cls, body, eps=", eps=eps"):
    return _BLOCK.format(cls=cls, body=body, eps=eps)


BUGS = [
    # --------------------------------------------------------------------------- batchnorm_forward
    Bug(
        "bn_momentum_retention_convention",
        "batchnorm_forward",
        bn(
            rm_update="momentum * running_mean + (1 - momentum) * mu",
            rv_update="momentum * running_var + (1 - momentum) * var * N / (N - 1)",
        ),
        fails={
            "bn_running_mean_uses_momentum_0_1",
            "bn_running_var_uses_unbiased_variance",
            "bn_missing_running_stats_start_at_zeros_and_ones",
            "bn_reads_eps_and_momentum_from_bn_param",
        },
        why="CS231n's 'momentum 0.9 retention' update with PyTorch's momentum=0.1: keeps only 10% of the old value",
    ),
    Bug(
        "bn_running_var_biased",
        "batchnorm_forward",
        bn(rv_update="(1 - momentum) * running_var + momentum * var"),
        fails={
            "bn_running_var_uses_unbiased_variance",
            "bn_missing_running_stats_start_at_zeros_and_ones",
            "bn_reads_eps_and_momentum_from_bn_param",
        },
        why="mixes the biased batch variance into running_var (PyTorch uses the unbiased one)",
    ),
    Bug(
        "bn_normalizes_with_unbiased_variance",
        "batchnorm_forward",
        bn(var="x.var(axis=0, ddof=1)", rv_update="(1 - momentum) * running_var + momentum * var"),
        fails={
            "bn_backward_dgamma_matches_reference",
            "bn_backward_dx_matches_reference",
            "bn_backward_on_a_batch_smaller_than_features",
            "bn_missing_running_stats_start_at_zeros_and_ones",
            "bn_reads_eps_and_momentum_from_bn_param",
            "bn_train_output_matches_reference",
        },
        why="normalizes with the unbiased variance (torch.var's default) instead of the biased one",
    ),
    Bug(
        "bn_eps_outside_sqrt",
        "batchnorm_forward",
        bn(x_hat="(x - mu) / (np.sqrt(var) + eps)"),
        fails={
            "bn_backward_dgamma_matches_reference",
            "bn_backward_dx_matches_reference",
            "bn_backward_on_a_batch_smaller_than_features",
            "bn_missing_running_stats_start_at_zeros_and_ones",
            "bn_reads_eps_and_momentum_from_bn_param",
            "bn_train_output_matches_reference",
        },
        why="adds eps to the standard deviation instead of inside the square root",
    ),
    Bug(
        "bn_eval_uses_batch_statistics",
        "batchnorm_forward",
        bn(eval_x_hat="(x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)"),
        fails={"bn_eval_mode_uses_running_statistics"},
        why="forgets eval mode: normalizes with the batch statistics at test time",
    ),
    Bug(
        "bn_updates_running_stats_in_eval",
        "batchnorm_forward",
        bn(
            eval_extra="""
        bn_param["running_mean"] = (1 - momentum) * running_mean + momentum * x.mean(axis=0)
        bn_param["running_var"] = (1 - momentum) * running_var + momentum * x.var(axis=0, ddof=1)"""
        ),
        fails={"bn_eval_mode_does_not_update_running_stats"},
        why="keeps updating the running statistics in eval mode",
    ),
    Bug(
        "bn_mutates_input",
        "batchnorm_forward",
        """
def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.1)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.ones(D))
    if bn_param["mode"] == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        bn_param["running_mean"] = (1 - momentum) * running_mean + momentum * mu
        bn_param["running_var"] = (1 - momentum) * running_var + momentum * var * N / (N - 1)
    else:
        mu, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    x -= mu
    x *= inv_std
    return gamma * x + beta, (x.copy(), gamma, inv_std)
""",
        fails={"bn_input_is_not_mutated"},
        why="normalizes x in place (x -= mu), changing the caller's array",
    ),
    Bug(
        "bn_cs231n_zero_running_var",
        "batchnorm_forward",
        bn(var0="np.zeros(D)"),
        fails={"bn_missing_running_stats_start_at_zeros_and_ones"},
        why="starts running_var at zeros (CS231n) instead of ones (PyTorch)",
    ),
    Bug(
        "bn_hardcoded_eps_and_momentum",
        "batchnorm_forward",
        bn(eps="1e-5", momentum="0.1"),
        fails={"bn_reads_eps_and_momentum_from_bn_param"},
        why="ignores the eps and momentum given in bn_param",
    ),
    # -------------------------------------------------------------------------- batchnorm_backward
    Bug(
        "bnb_ignores_mean_and_variance_paths",
        "batchnorm_backward",
        bnb(dx="dxhat * inv_std"),
        fails={
            "bn_backward_dx_matches_reference",
            "bn_backward_dx_sums_to_zero_over_batch",
            "bn_backward_on_a_batch_smaller_than_features",
        },
        why="treats mu and var as constants: dx = dout * gamma / std",
    ),
    Bug(
        "bnb_forgets_gamma",
        "batchnorm_backward",
        bnb(dxhat="dout"),
        fails={"bn_backward_dx_matches_reference", "bn_backward_on_a_batch_smaller_than_features"},
        why="dL/dx_hat = dout, forgetting the chain through gamma",
    ),
    Bug(
        "bnb_dbeta_is_a_mean",
        "batchnorm_backward",
        bnb(dbeta="dout.mean(axis=0)"),
        fails={"bn_backward_dbeta_matches_reference", "bn_backward_on_a_batch_smaller_than_features"},
        why="averages dout over the batch instead of summing",
    ),
    Bug(
        "bnb_dgamma_without_x_hat",
        "batchnorm_backward",
        bnb(dgamma="dout.sum(axis=0)"),
        fails={"bn_backward_dgamma_matches_reference", "bn_backward_on_a_batch_smaller_than_features"},
        why="dgamma = sum(dout), mixing up dgamma and dbeta",
    ),
    Bug(
        "bnb_batch_size_from_wrong_axis",
        "batchnorm_backward",
        bnb(n_axis=1),
        fails={
            "bn_backward_dx_matches_reference",
            "bn_backward_dx_sums_to_zero_over_batch",
            "bn_backward_on_a_batch_smaller_than_features",
        },
        why="takes N = dout.shape[1] (the number of features)",
    ),
    # ------------------------------------------------------------------- spatial_batchnorm_forward
    Bug(
        "sbn_reshape_without_transpose",
        "spatial_batchnorm_forward",
        """
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, C, H, W), cache
""",
        fails={
            "sbn_eval_mode_uses_running_statistics",
            "sbn_running_stats_per_channel_with_unbiased_variance",
            "sbn_train_output_matches_reference",
        },
        why="reshapes (N, C, H, W) to (-1, C) without moving the channel axis last",
    ),
    Bug(
        "sbn_running_var_divides_by_batch_size",
        "spatial_batchnorm_forward",
        sbn(m="N"),
        fails={"sbn_running_stats_per_channel_with_unbiased_variance"},
        why="unbiased correction N/(N-1) with the batch size instead of N*H*W/(N*H*W-1)",
    ),
    Bug(
        "sbn_eval_uses_batch_statistics",
        "spatial_batchnorm_forward",
        sbn(
            body="""
    mu = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    if bn_param["mode"] == "train":
        m = N * H * W
        bn_param["running_mean"] = (1 - momentum) * rm + momentum * mu
        bn_param["running_var"] = (1 - momentum) * rv + momentum * var * m / (m - 1)
    s = (1, C, 1, 1)
    out = gamma.reshape(s) * (x - mu.reshape(s)) / np.sqrt(var.reshape(s) + eps) + beta.reshape(s)"""
        ),
        fails={"sbn_eval_mode_uses_running_statistics"},
        why="forgets eval mode for the spatial version",
    ),
    Bug(
        "sbn_mutates_input",
        "spatial_batchnorm_forward",
        """
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    xt = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out, cache = batchnorm_forward(xt, gamma, beta, bn_param)
    x[...] = out.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return x, cache
""",
        fails={"sbn_input_is_not_mutated"},
        why="writes the result back into x",
    ),
    # --------------------------------------------------------------------- ghost_batchnorm_forward
    Bug(
        "gbn_strided_chunks",
        "ghost_batchnorm_forward",
        gbn(
            chunks="x.reshape(v, N // v, D).transpose(1, 0, 2)",
            x_hat="((xs - mu) / np.sqrt(var + eps)).transpose(1, 0, 2).reshape(N, D)",
        ),
        fails={"gbn_running_stats_updated_once_per_chunk", "gbn_train_output_matches_reference"},
        why="chunks x[k::K] (every K-th row) instead of contiguous rows",
    ),
    Bug(
        "gbn_one_update_with_full_batch",
        "ghost_batchnorm_forward",
        gbn(
            update="""        rm = (1 - momentum) * rm + momentum * x.mean(axis=0)
        rv = (1 - momentum) * rv + momentum * x.var(axis=0, ddof=1)"""
        ),
        fails={"gbn_running_stats_updated_once_per_chunk"},
        why="updates the running statistics once with the full batch's statistics",
    ),
    Bug(
        "gbn_one_update_with_mean_of_chunks",
        "ghost_batchnorm_forward",
        gbn(
            update="""        rm = (1 - momentum) * rm + momentum * mu.mean(axis=0)[0]
        rv = (1 - momentum) * rv + momentum * var.mean(axis=0)[0] * v / (v - 1)"""
        ),
        fails={"gbn_running_stats_updated_once_per_chunk"},
        why="one update with the average of the chunk statistics",
    ),
    Bug(
        "gbn_unbiased_normalization",
        "ghost_batchnorm_forward",
        gbn(ddof=", ddof=1"),
        fails={
            "gbn_one_chunk_equals_batchnorm",
            "gbn_running_stats_updated_once_per_chunk",
            "gbn_train_output_matches_reference",
        },
        why="normalizes each chunk with the unbiased variance",
    ),
    Bug(
        "gbn_eval_uses_chunks",
        "ghost_batchnorm_forward",
        gbn(
            eval="""        xs = x.reshape(N // v, v, D)
        x_hat = ((xs - xs.mean(axis=1, keepdims=True)) / np.sqrt(xs.var(axis=1, keepdims=True) + eps)).reshape(N, D)"""
        ),
        fails={"gbn_eval_mode_uses_running_statistics"},
        why="also uses chunk statistics in eval mode",
    ),
    Bug(
        "gbn_mutates_input",
        "ghost_batchnorm_forward",
        """
def ghost_batchnorm_forward(x, gamma, beta, bn_param, virtual_batch_size):
    v = virtual_batch_size
    outs = []
    for k in range(x.shape[0] // v) if bn_param["mode"] == "train" else []:
        out, _ = batchnorm_forward(x[k * v:(k + 1) * v], gamma, beta, bn_param)
        x[k * v:(k + 1) * v] = out
    if bn_param["mode"] != "train":
        out, _ = batchnorm_forward(x, gamma, beta, bn_param)
        return out, None
    return x, None
""",
        fails={"gbn_input_is_not_mutated"},
        why="reuses batchnorm_forward per chunk but writes the chunks back into x",
    ),
    # ------------------------------------------------------------------------------ layernorm
    Bug(
        "ln_batch_axis",
        "layernorm_forward",
        ln(axis=0),
        fails={
            "ln_backward_dgamma_matches_reference",
            "ln_backward_dx_matches_reference",
            "ln_backward_dx_sums_to_zero_over_features",
            "ln_output_matches_reference",
            "ln_rows_are_normalized_independently",
            "ln_uses_given_eps",
        },
        why="normalizes over the batch (BatchNorm's axis)",
    ),
    Bug(
        "ln_unbiased_variance",
        "layernorm_forward",
        ln(ddof=", ddof=1"),
        fails={
            "ln_backward_dgamma_matches_reference",
            "ln_backward_dx_matches_reference",
            "ln_output_matches_reference",
            "ln_uses_given_eps",
        },
        why="divides by D - 1",
    ),
    Bug(
        "ln_ignores_eps_argument",
        "layernorm_forward",
        ln(eps="1e-5"),
        fails={"ln_uses_given_eps"},
        why="hard-codes eps = 1e-5",
    ),
    Bug(
        "lnb_batch_axis_sums",
        "layernorm_backward",
        lnb(ax=0),
        fails={"ln_backward_dx_matches_reference", "ln_backward_dx_sums_to_zero_over_features"},
        why="copies the BatchNorm backward: sums over the batch axis inside dx",
    ),
    Bug(
        "lnb_dgamma_over_features",
        "layernorm_backward",
        lnb(dgamma="(dout * x_hat).sum(axis=1)"),
        fails={"ln_backward_dgamma_matches_reference"},
        why="sums dgamma over the feature axis",
    ),
    Bug(
        "lnb_dbeta_over_features",
        "layernorm_backward",
        lnb(dbeta="dout.sum(axis=1)"),
        fails={"ln_backward_dbeta_matches_reference"},
        why="sums dbeta over the feature axis",
    ),
    Bug(
        "lnb_forgets_gamma",
        "layernorm_backward",
        lnb(dxhat="dout"),
        fails={"ln_backward_dx_matches_reference"},
        why="forgets gamma in dL/dx_hat",
    ),
    # ------------------------------------------------------------------------- instance / group norm
    Bug(
        "in_layernorm_axes",
        "instancenorm_forward",
        _IN.format(axes="(1, 2, 3)", eps="eps"),
        fails={"in_output_matches_reference", "in_uses_given_eps"},
        why="normalizes over (C, H, W): LayerNorm",
    ),
    Bug(
        "in_batchnorm_axes",
        "instancenorm_forward",
        _IN.format(axes="(0, 2, 3)", eps="eps"),
        fails={"in_is_independent_of_the_batch", "in_output_matches_reference", "in_uses_given_eps"},
        why="normalizes over (N, H, W): BatchNorm",
    ),
    Bug(
        "in_ignores_eps_argument",
        "instancenorm_forward",
        _IN.format(axes="(2, 3)", eps="1e-5"),
        fails={"in_uses_given_eps"},
        why="hard-codes eps",
    ),
    Bug(
        "gn_interleaved_groups",
        "groupnorm_forward",
        gn(shape="N, C // G, G, H, W", axes="(1, 3, 4)"),
        fails={"gn_four_groups_of_two_channels", "gn_output_matches_reference", "gn_uses_given_eps"},
        why="groups channels c % G (reshape(N, C // G, G, ...)) instead of contiguous channels",
    ),
    Bug(
        "gn_unbiased_variance",
        "groupnorm_forward",
        gn(ddof=", ddof=1"),
        fails={
            "gn_c_groups_is_instancenorm",
            "gn_four_groups_of_two_channels",
            "gn_one_group_is_layernorm_over_chw",
            "gn_output_matches_reference",
            "gn_uses_given_eps",
        },
        why="divides by n - 1",
    ),
    Bug(
        "gn_ignores_eps_argument",
        "groupnorm_forward",
        gn(eps="1e-5"),
        fails={"gn_uses_given_eps"},
        why="hard-codes eps",
    ),
    # ------------------------------------------------------------------------------------ RMSNorm
    Bug(
        "rms_subtracts_mean",
        "rmsnorm_forward",
        _RMS.format(
            body="(x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + eps) * weight"
        ),
        fails={"rms_output_matches_reference", "rms_uses_given_eps", "rms_works_on_3d_input"},
        why="LayerNorm without beta: subtracts the mean and divides by the std",
    ),
    Bug(
        "rms_eps_outside_sqrt",
        "rmsnorm_forward",
        _RMS.format(body="x / (np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True)) + eps) * weight"),
        fails={"rms_output_matches_reference", "rms_uses_given_eps", "rms_works_on_3d_input"},
        why="adds eps outside the square root",
    ),
    Bug(
        "rms_axis_one",
        "rmsnorm_forward",
        _RMS.format(body="x / np.sqrt(np.mean(x ** 2, axis=1, keepdims=True) + eps) * weight"),
        fails={"rms_works_on_3d_input"},
        why="axis=1 works for (N, D) but not for (B, T, D)",
    ),
    Bug(
        "rms_fixed_eps",
        "rmsnorm_forward",
        _RMS.format(body="x / np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + 1e-6) * weight"),
        fails={"rms_uses_given_eps"},
        why="uses the seeds' eps = 1e-6 whatever eps is given",
    ),
    Bug(
        "rmsm_eps_none_is_1e6",
        "rmsnorm_module",
        rmsm(eps="1e-6 if self.eps is None else self.eps"),
        fails={"rms_module_eps_none_uses_machine_epsilon"},
        why="eps=None means 1e-6 (the lecture's code), not torch.finfo(dtype).eps",
    ),
    Bug(
        "rmsm_weight_not_a_parameter",
        "rmsnorm_module",
        rmsm(weight="torch.ones(self.normalized_shape)"),
        fails={
            "rms_module_eps_none_uses_machine_epsilon",
            "rms_module_gradients_match_reference",
            "rms_module_output_matches_reference",
            "rms_module_tuple_shape_normalizes_last_dims",
            "rms_module_weight_is_parameter_of_ones",
        },
        why="a plain tensor attribute: not learned, not moved by .double()",
    ),
    Bug(
        "rmsm_last_dim_only",
        "rmsnorm_module",
        rmsm(dims="(-1,)"),
        fails={"rms_module_tuple_shape_normalizes_last_dims"},
        why="always normalizes over the last dim, ignoring a tuple normalized_shape",
    ),
    Bug(
        "rmsm_detached_statistic",
        "rmsnorm_module",
        rmsm(body="return x * torch.rsqrt(x.pow(2).mean(dim=dims, keepdim=True) + eps).detach() * self.weight"),
        fails={"rms_module_gradients_match_reference"},
        why="treats the RMS as a constant (detach), so dL/dx misses a term",
    ),
    # ------------------------------------------------------------------------- weight / spectral norm
    Bug(
        "wn_norm_over_dim",
        "weight_norm",
        _WN.format(
            body="""if dim is None:
        return g * v / np.linalg.norm(v)
    return g * v / np.linalg.norm(v, axis=dim, keepdims=True)"""
        ),
        fails={"wn_conv_weight_dim0", "wn_dim0_matches_reference", "wn_dim1"},
        why="takes the norm along dim instead of over every other axis",
    ),
    Bug(
        "wn_squared_norm",
        "weight_norm",
        _WN.format(body=_WN_OK.replace("np.sqrt(", "(")),
        fails={"wn_conv_weight_dim0", "wn_dim0_matches_reference", "wn_dim1", "wn_dim_none_uses_whole_tensor_norm"},
        why="divides by ||v||^2",
    ),
    Bug(
        "wn_mutates_v",
        "weight_norm",
        _WN.format(
            body="""if dim is None:
        v /= np.sqrt(np.sum(v ** 2))
        return g * v
    axes = tuple(a for a in range(v.ndim) if a != dim)
    v /= np.sqrt(np.sum(v ** 2, axis=axes, keepdims=True))
    return g * v"""
        ),
        fails={"wn_input_is_not_mutated"},
        why="normalizes v in place",
    ),
    Bug(
        "wn_none_as_last_axis",
        "weight_norm",
        _WN.format(
            body="""if dim is None:
        dim = v.ndim - 1
    axes = tuple(a for a in range(v.ndim) if a != dim)
    return g * v / np.sqrt(np.sum(v ** 2, axis=axes, keepdims=True))"""
        ),
        fails={"wn_dim_none_uses_whole_tensor_norm"},
        why="treats dim=None like the last axis",
    ),
    Bug(
        "wn_two_dim_only",
        "weight_norm",
        _WN.format(
            body="""if dim is None:
        return g * v / np.sqrt(np.sum(v ** 2))
    return g * v / np.sqrt(np.sum(v ** 2, axis=1 - dim, keepdims=True))"""
        ),
        fails={"wn_conv_weight_dim0"},
        why="assumes a 2-D weight: the norm over the single other axis 1 - dim",
    ),
    Bug(
        "sn_v_not_normalized",
        "spectral_norm_step",
        sn(v_norm_off="\n        v = W.T @ u"),
        fails={
            "sn_several_power_iterations",
            "sn_sigma_converges_to_largest_singular_value",
            "sn_weight_and_sigma_match_reference",
        },
        why="forgets to normalize v",
    ),
    Bug(
        "sn_ignores_n_power_iterations",
        "spectral_norm_step",
        sn(iters="1"),
        fails={"sn_several_power_iterations", "sn_sigma_converges_to_largest_singular_value"},
        why="always one power iteration",
    ),
    Bug(
        "sn_returns_old_u",
        "spectral_norm_step",
        sn(u_out="u_in"),
        fails={"sn_returned_u_matches_reference", "sn_several_power_iterations"},
        why="returns the input u",
    ),
    Bug(
        "sn_mutates_u",
        "spectral_norm_step",
        sn(after="\n    u_in[:] = u"),
        fails={"sn_input_u_is_not_mutated"},
        why="updates the caller's u in place, as torch's buffer",
    ),
    Bug(
        "sn_frobenius_sigma",
        "spectral_norm_step",
        sn(sigma="np.linalg.norm(W)"),
        fails={
            "sn_several_power_iterations",
            "sn_sigma_converges_to_largest_singular_value",
            "sn_weight_and_sigma_match_reference",
        },
        why="divides by the Frobenius norm instead of the largest singular value",
    ),
    # ---------------------------------------------------------------------------- Pre/Post-Norm blocks
    Bug(
        "pre_normalizes_residual_stream",
        "prenorm_block",
        blk(
            "PreNormBlock",
            "x = self.norm1(x)\n        x = x + self.attn(x)\n        x = self.norm2(x)\n        x = x + self.ffn(x)",
        ),
        fails={
            "pre_eps_is_passed_to_layernorms",
            "pre_output_matches_reference",
            "pre_residual_path_is_identity_when_sublayers_output_zero",
        },
        why="normalizes the residual stream itself, so no identity path remains",
    ),
    Bug(
        "pre_is_post_norm",
        "prenorm_block",
        blk("PreNormBlock", POST_OK),
        fails={
            "pre_eps_is_passed_to_layernorms",
            "pre_output_matches_reference",
            "pre_residual_path_is_identity_when_sublayers_output_zero",
        },
        why="writes the Post-Norm order",
    ),
    Bug(
        "pre_shared_norm",
        "prenorm_block",
        blk("PreNormBlock", "x = x + self.attn(self.norm1(x))\n        x = x + self.ffn(self.norm1(x))"),
        fails={"pre_eps_is_passed_to_layernorms", "pre_output_matches_reference"},
        why="uses norm1 before both sublayers",
    ),
    Bug(
        "pre_ignores_eps",
        "prenorm_block",
        blk("PreNormBlock", PRE_OK, eps=""),
        fails={"pre_eps_is_passed_to_layernorms"},
        why="builds nn.LayerNorm(d_model) with its default eps",
    ),
    Bug(
        "post_is_pre_norm",
        "postnorm_block",
        blk("PostNormBlock", PRE_OK),
        fails={
            "post_eps_is_passed_to_layernorms",
            "post_output_matches_reference",
            "post_output_tokens_are_layer_normalized",
        },
        why="writes the Pre-Norm order",
    ),
    Bug(
        "post_norm_on_sublayer_output",
        "postnorm_block",
        blk("PostNormBlock", "x = x + self.norm1(self.attn(x))\n        x = x + self.norm2(self.ffn(x))"),
        fails={
            "post_eps_is_passed_to_layernorms",
            "post_output_matches_reference",
            "post_output_tokens_are_layer_normalized",
        },
        why="normalizes the sublayer output before adding the residual",
    ),
    Bug(
        "post_swapped_norms",
        "postnorm_block",
        blk("PostNormBlock", "x = self.norm2(x + self.attn(x))\n        x = self.norm1(x + self.ffn(x))"),
        fails={"post_eps_is_passed_to_layernorms", "post_output_matches_reference"},
        why="norm2 after attention and norm1 after the feed-forward",
    ),
    Bug(
        "post_ignores_eps",
        "postnorm_block",
        blk("PostNormBlock", POST_OK, eps=""),
        fails={"post_eps_is_passed_to_layernorms"},
        why="builds nn.LayerNorm(d_model) with its default eps",
    ),
]

# kind: "convention" (autograder check must already fail it) or "edge"; hint: what the first message must say
C, E = "convention", "edge"

SAMPLE = [
    "bn_momentum_retention_convention",
    "bn_running_var_biased",
    "ln_batch_axis",
    "pre_normalizes_residual_stream",
]

# --------------------------------------------------- numeric_gradient, groupnorm_backward (issue 15)
_NG = """
def numeric_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = x[idx]
{body}
    return grad
"""
_NG_OK = """        x[idx] = old + h
        fp = f(x)
        x[idx] = old - h
        fm = f(x)
        x[idx] = old
        grad[idx] = (fp - fm) / (2 * h)"""

_GNB = """
def groupnorm_backward(dout, x, gamma, num_groups, eps=1e-5):
    N, C, H, W = x.shape
    G = num_groups
    xg = x.reshape({shape})
    m = xg[0, 0].size
    inv_std = 1.0 / np.sqrt(xg.var(axis={axes}, keepdims=True) + {eps})
    x_hat = (xg - xg.mean(axis={axes}, keepdims=True)) * inv_std
    dbeta = {dbeta}
    dgamma = (dout * x_hat.reshape(x.shape)).sum(axis={gaxes})
    dxhat = ({dxhat}).reshape({shape})
    dx = {dx}
    return dx.reshape(x.shape), dgamma, dbeta
"""
_GNB_OK = dict(
    shape="N, G, -1",
    axes="2",
    eps="eps",
    dbeta="dout.sum(axis=(0, 2, 3))",
    gaxes="(0, 2, 3)",
    dxhat="dout * gamma[None, :, None, None]",
    dx=(
        "inv_std / m * (m * dxhat - dxhat.sum(axis=2, keepdims=True) "
        "- x_hat * (dxhat * x_hat).sum(axis=2, keepdims=True))"
    ),
)


def gnb(**changes):
    return _GNB.format(**{**_GNB_OK, **changes})


BUGS += [
    Bug(
        "ng_forward_difference",
        "numeric_gradient",
        _NG.format(
            body=_NG_OK.replace("x[idx] = old - h\n        fm = f(x)", "x[idx] = old\n        fm = f(x)").replace(
                "(2 * h)", "h"
            )
        ),
        fails={
            "ng_matches_the_analytic_gradient",
            "ng_centered_difference_with_the_given_h",
            "ng_three_dimensional_input",
        },
        why="one-sided (f(x + h) - f(x)) / h: error O(h)",
    ),
    Bug(
        "ng_divides_by_h",
        "numeric_gradient",
        _NG.format(body=_NG_OK.replace("(2 * h)", "h")),
        fails={
            "ng_matches_the_analytic_gradient",
            "ng_centered_difference_with_the_given_h",
            "ng_three_dimensional_input",
        },
        why="centered difference divided by h instead of 2h",
    ),
    Bug(
        "ng_fixed_step",
        "numeric_gradient",
        _NG.format(body=_NG_OK.replace("h", "1e-5")),
        fails={"ng_centered_difference_with_the_given_h"},
        why="ignores the h argument",
    ),
    Bug(
        "ng_does_not_restore_x",
        "numeric_gradient",
        _NG.format(body=_NG_OK.replace("        x[idx] = old\n", "")),
        fails={"ng_matches_the_analytic_gradient", "ng_restores_x", "ng_three_dimensional_input"},
        why="leaves every element at old - h",
    ),
    Bug(
        "ng_perturbs_rows",
        "numeric_gradient",
        """
def numeric_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in range(x.shape[0]):
        old = x[i].copy()
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad
""",
        fails={"ng_matches_the_analytic_gradient", "ng_three_dimensional_input"},
        why="moves a whole row x[i] at once (correct only for 1-D x)",
    ),
    Bug(
        "ng_flattened_f_argument",
        "numeric_gradient",
        """
def numeric_gradient(f, x, h=1e-5):
    flat = x.reshape(-1).copy()
    grad = np.zeros(flat.shape)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f(flat)
        flat[i] = old - h
        fm = f(flat)
        flat[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad
""",
        fails={"ng_matches_the_analytic_gradient", "ng_restores_x", "ng_three_dimensional_input"},
        why="calls f with a flattened copy and returns a flat gradient",
    ),
    Bug(
        "gnb_instance_statistics",
        "groupnorm_backward",
        gnb(shape="N, C, -1"),
        fails={
            "gnb_dx_matches_reference",
            "gnb_dgamma_and_dbeta_match_reference",
            "gnb_special_cases_one_group_and_c_groups",
            "gnb_uses_given_eps_and_does_not_mutate_x",
        },
        why="normalizes per channel (InstanceNorm's backward) instead of per group",
    ),
    Bug(
        "gnb_forgets_gamma",
        "groupnorm_backward",
        gnb(dxhat="dout"),
        fails={
            "gnb_dx_matches_reference",
            "gnb_special_cases_one_group_and_c_groups",
            "gnb_uses_given_eps_and_does_not_mutate_x",
        },
        why="dL/dx_hat = dout, forgetting the per-channel gamma",
    ),
    Bug(
        "gnb_ignores_statistics_paths",
        "groupnorm_backward",
        gnb(dx="dxhat * inv_std"),
        fails={
            "gnb_dx_matches_reference",
            "gnb_dx_sums_to_zero_per_sample_and_group",
            "gnb_special_cases_one_group_and_c_groups",
            "gnb_uses_given_eps_and_does_not_mutate_x",
        },
        why="treats the group mean and variance as constants",
    ),
    Bug(
        "gnb_dgamma_over_batch_only",
        "groupnorm_backward",
        gnb(gaxes="0", dbeta="dout.sum(axis=0)"),
        fails={"gnb_dgamma_and_dbeta_match_reference"},
        why="sums dgamma and dbeta over the batch only (shape (C, H, W))",
    ),
    Bug(
        "gnb_ignores_eps",
        "groupnorm_backward",
        gnb(eps="1e-5"),
        fails={"gnb_uses_given_eps_and_does_not_mutate_x"},
        why="hard-codes eps",
    ),
    Bug(
        "gnb_mutates_x",
        "groupnorm_backward",
        gnb().replace(
            "    x_hat = (xg - xg.mean(axis=2, keepdims=True)) * inv_std",
            "    xg -= xg.mean(axis=2, keepdims=True)\n    x_hat = xg * inv_std",
        ),
        fails={"gnb_uses_given_eps_and_does_not_mutate_x"},
        why="centres x in place through a reshape view",
    ),
]

BUGS = mark(
    BUGS,
    {
        "bn_momentum_retention_convention": (C, "momentum 0.9 retention"),
        "bn_running_var_biased": (C, "running_var에 편향 분산"),
        "bn_normalizes_with_unbiased_variance": (C, "정규화에는 편향 분산"),
        "bn_eps_outside_sqrt": (C, "eps는 sqrt 안에"),
        "bn_eval_uses_batch_statistics": (C, "eval 모드에서는 (x - running_mean)"),
        "bn_updates_running_stats_in_eval": (C, "train 모드에서만 갱신"),
        "bn_mutates_input": (E, "제자리에서 바꾸지"),
        "bn_cs231n_zero_running_var": (C, "0에서 시작했습니다"),
        "bn_hardcoded_eps_and_momentum": (E, "bn_param.get('eps'"),
        "bnb_ignores_mean_and_variance_paths": (C, "mu와 var도 x의 함수"),
        "bnb_forgets_gamma": (C, "dxhat = dout*gamma"),
        "bnb_dbeta_is_a_mean": (C, "평균이 아니라 합"),
        "bnb_dgamma_without_x_hat": (C, "dout * x_hat"),
        "bnb_batch_size_from_wrong_axis": (C, "N = dout.shape[0]"),
        "sbn_reshape_without_transpose": (C, "transpose 먼저"),
        "sbn_running_var_divides_by_batch_size": (C, "배치 크기 N으로"),
        "sbn_eval_uses_batch_statistics": (C, "eval 모드에서는 running_mean / running_var"),
        "sbn_mutates_input": (E, "제자리에서 바꾸지"),
        "gbn_strided_chunks": (C, "x[k::K]처럼 건너뛰지"),
        "gbn_one_update_with_full_batch": (C, "전체 배치 통계로 한 번만"),
        "gbn_one_update_with_mean_of_chunks": (C, "조각 통계의 평균으로"),
        "gbn_unbiased_normalization": (C, "불편 분산"),
        "gbn_eval_uses_chunks": (C, "eval 모드에서는 조각으로 나누지 않고"),
        "gbn_mutates_input": (E, "제자리에서 바꾸지"),
        "ln_batch_axis": (C, "axis=1(feature 축)"),
        "ln_unbiased_variance": (C, "편향 분산"),
        "ln_ignores_eps_argument": (E, "eps 인자를"),
        "lnb_batch_axis_sums": (C, "dx의 합도 axis=1"),
        "lnb_dgamma_over_features": (C, "dgamma는 배치 축"),
        "lnb_dbeta_over_features": (C, "dbeta는 배치 축"),
        "lnb_forgets_gamma": (C, "gamma"),
        "in_layernorm_axes": (C, "axis=(2, 3)"),
        "in_batchnorm_axes": (C, "axis=(2, 3)"),
        "in_ignores_eps_argument": (E, "eps 인자를"),
        "gn_interleaved_groups": (C, "채널을 건너뛰며 묶습니다"),
        "gn_unbiased_variance": (C, "불편 분산"),
        "gn_ignores_eps_argument": (E, "eps 인자를"),
        "rms_subtracts_mean": (C, "평균을 빼지 않습니다"),
        "rms_eps_outside_sqrt": (C, "eps는 sqrt 안"),
        "rms_axis_one": (E, "axis=-1"),
        "rms_fixed_eps": (E, "주어진 값을 그대로"),
        "rmsm_eps_none_is_1e6": (C, "torch.finfo(x.dtype).eps"),
        "rmsm_weight_not_a_parameter": (C, "nn.Parameter"),
        "rmsm_last_dim_only": (E, "range(-len(normalized_shape), 0)"),
        "rmsm_detached_statistic": (C, "detach하지"),
        "wn_norm_over_dim": (C, "'제외한' 모든 축"),
        "wn_squared_norm": (C, "제곱"),
        "wn_mutates_v": (E, "제자리에서 바꾸지"),
        "wn_none_as_last_axis": (E, "dim=None이면"),
        "wn_two_dim_only": (E, "dim을 뺀 모든 축"),
        "sn_v_not_normalized": (C, "v = normalize(W.T @ u)"),
        "sn_ignores_n_power_iterations": (E, "n_power_iterations번"),
        "sn_returns_old_u": (C, "새 u를 돌려줍니다"),
        "sn_mutates_u": (E, "제자리에서 바꾸지"),
        "sn_frobenius_sigma": (C, "Frobenius"),
        "pre_normalizes_residual_stream": (C, "잔차 x는 정규화하지 않은 채"),
        "pre_is_post_norm": (C, "Pre-Norm은 부층의 입력만 정규화"),
        "pre_shared_norm": (C, "norm2는 ffn 앞"),
        "pre_ignores_eps": (E, "eps=eps"),
        "post_is_pre_norm": (C, "잔차를 더한 '뒤' 정규화"),
        "post_norm_on_sublayer_output": (C, "잔차를 더한 '뒤' 정규화"),
        "post_swapped_norms": (C, "그다음 norm2(x + ffn(x))"),
        "post_ignores_eps": (E, "eps=eps"),
        "ng_forward_difference": (C, "전진 차분"),
        "ng_divides_by_h": (C, "2h가 아니라 h로"),
        "ng_fixed_step": (C, "인자로 받은 h"),
        "ng_does_not_restore_x": (C, "되돌"),
        "ng_perturbs_rows": (C, "원소 하나씩"),
        "ng_flattened_f_argument": (C, "x와 같은 shape으로 f를"),
        "gnb_instance_statistics": (C, "(샘플, 그룹)마다"),
        "gnb_forgets_gamma": (C, "gamma(채널별)"),
        "gnb_ignores_statistics_paths": (C, "평균과 분산도 x의 함수"),
        "gnb_dgamma_over_batch_only": (C, "axis=(0, 2, 3)"),
        "gnb_ignores_eps": (E, "eps 인자"),
        "gnb_mutates_x": (E, "제자리에서 바꾸지"),
    },
)
