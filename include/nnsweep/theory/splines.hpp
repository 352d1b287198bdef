#pragma once
// Exact 1-D theory of the `splines` experiment (Parhi & Nowak; shared/research/paper_D.md §2–§4):
// what a width-K ReLU net f(x) = Σ v_k relu(w_k x + b_k) + a x + c trained with weight decay can
// reach, computed from the data alone. Data: x strictly increasing, N = x.size() >= 2 points.
//
// Notation. s_i = (y_{i+1} − y_i)/(x_{i+1} − x_i), i = 1..N−1, the slopes; D ∈ R^{(N−2)×N} the
// non-uniform second difference (Dz)_i = s_{i+1}(z) − s_i(z), the slope changes at x_2..x_{N−1}.
//  * V(y) = ‖Dy‖₁: min TV(f') over interpolants f(x_i) = y_i (§4.1).
//  * Sparsest knot count of such an interpolant = Σ over maximal runs of consecutive slope
//    changes of one sign (zeros break runs) of ⌈run/2⌉ (§4.1): two same-sign changes at
//    x_i, x_{i+1} merge into one knot where the lines of segments i−1 and i+1 cross, which lies
//    in (x_i, x_{i+1}); three cannot (two lines hold at most two of the run's slopes), and
//    f must be affine between changes of opposite sign or next to a zero change.
//  * SES (no skip connection, Savarese et al.): min over interpolants of
//    max(TV(f'), |f'(−∞) + f'(+∞)|) = max(V, (V + |s_1 + s_{N−1}|)/2) (§4.2).
//  * J* = min_z (1/N)‖z − y‖² + λ‖Dz‖₁ (§4.3): the global minimum of the PN training objective
//    (1/N)Σ(f(x_i) − y_i)² + (λ/2)Σ(v_k² + w_k²) for every width K >= N − 2, and a lower bound
//    for every width (J(θ) < J* is a bug). z* is unique.
//  * λ_max = (2/N)‖(DDᵀ)⁻¹Dy‖∞: for λ >= λ_max, z* is the least-squares line.
//  * J*_SES = min_z (1/N)‖z − y‖² + λ·max(‖Dz‖₁, (‖Dz‖₁ + |eᵀz|)/2), eᵀz = s_1(z) + s_{N−1}(z).
//
// Solvers (exact, not iterative to a tolerance):
//  * tv_regression solves the dual box QP min_{‖u‖∞<=1} ½‖cDᵀu − y‖², c = Nλ/2, z = y − cDᵀu,
//    by a primal active-set method: each iteration solves the free coordinates' least-squares
//    problem by Householder QR and steps to the first bound it crosses, or frees the bound
//    coordinate whose multiplier has the wrong sign. It ends at the exact active set; z* is then
//    a least-squares residual (taken from Qᵀr: error ~ε‖y‖ even for near-duplicate x), and J*
//    is J(z*) with the slope changes of free rows (zero on the face) taken as exact zeros. Weak
//    duality certifies it: (‖y‖² − ‖y − cDᵀu‖²)/N <= J* (reported; agrees to ~1e-14 relative).
//  * ses_regression uses R(z) = max_{|s|<=½} (1 − |s|)‖Dz‖₁ + s·eᵀz and the minimax theorem:
//    J*_SES = max_{|s|<=½} g(s), g(s) = min_z F(z, s) a tv_regression with data y − (Nλs/2)e
//    and weight λ(1 − |s|) (plus a constant). g is concave: golden-section search on s to a
//    bracket of 1e-15 (with s = 0, ±½, where kinks put most maxima, evaluated exactly). Every
//    g(s) is a lower bound of J*_SES, reached to rounding at the best s (a kink maximum is
//    located to the bracket, a smooth one to √ε, which costs ε in g); J_SES(z(s)) is an upper
//    bound, as tight at a kink but only ~√ε-close at a smooth maximum.
#include <Eigen/Core>
#include <vector>

namespace nnsweep::theory::splines {

// Throws config_error unless x is strictly increasing, finite, of y's size and N >= 2.
void check_data(const Eigen::VectorXd& x, const Eigen::VectorXd& y);

Eigen::VectorXd slopes(const Eigen::VectorXd& x, const Eigen::VectorXd& y);         // N − 1
Eigen::VectorXd slope_changes(const Eigen::VectorXd& x, const Eigen::VectorXd& y);  // Dy, N − 2
Eigen::MatrixXd second_difference(const Eigen::VectorXd& x);                        // D

double min_tv_interpolation(const Eigen::VectorXd& x, const Eigen::VectorXd& y);  // V(y)
double ses_min_tv_interpolation(const Eigen::VectorXd& x, const Eigen::VectorXd& y);

// Slope changes with |a_i| <= tolerance·max_i |s_i| count as zero (ties, collinear points).
int sparsest_knots(const Eigen::VectorXd& x, const Eigen::VectorXd& y, double tolerance = 1e-12);
// The count from slope changes given exactly (zeros are exact zeros).
int sparsest_knots(const Eigen::VectorXd& slope_changes);

// f(x) = intercept + slope·x + Σ_k jump_k·relu(x − position_k).
struct LinearSpline {
  double intercept = 0, slope = 0;
  std::vector<double> positions, jumps;
  double operator()(double x) const;
  double total_variation() const;  // TV(f') = Σ|jump_k| (positions distinct)
};
// A min-TV interpolant with the sparsest knot count (the merge rule above).
LinearSpline sparsest_interpolant(const Eigen::VectorXd& x, const Eigen::VectorXd& y,
                                  double tolerance = 1e-12);

double lambda_max(const Eigen::VectorXd& x, const Eigen::VectorXd& y);

// J(z) = (1/N)‖z − y‖² + λ‖Dz‖₁ and its SES analogue, for any z.
double tv_objective(const Eigen::VectorXd& x, const Eigen::VectorXd& y, double lambda,
                    const Eigen::VectorXd& z);
double ses_objective(const Eigen::VectorXd& x, const Eigen::VectorXd& y, double lambda,
                     const Eigen::VectorXd& z);

struct TvRegression {
  Eigen::VectorXd z;                  // the optimal fitted values z*
  Eigen::VectorXd dual;               // u* (N − 2), z* = y − (Nλ/2)Dᵀu*
  Eigen::VectorXd slope_changes;      // Dz*, exactly 0 where the active set says so
  double objective = 0;               // J* = J(z*), free rows' slope changes taken as exact zeros
  double primal = 0, dual_value = 0;  // J(z) and the dual at u: primal >= J* >= dual_value
  int iterations = 0;                 // active-set iterations
};
// λ >= 0 (λ = 0: z* = y, J* = 0).
TvRegression tv_regression(const Eigen::VectorXd& x, const Eigen::VectorXd& y, double lambda);

struct SesRegression {
  Eigen::VectorXd z;     // the minimiser at the best s (z* up to the √ε above)
  double objective = 0;  // J*_SES: the best g(s)
  double upper = 0;      // J_SES(z) >= J*_SES (free rows' slope changes exact zeros)
  double s = 0;          // the best s in [−½, ½]
  int evaluations = 0;   // g(s) evaluations (one exact tv_regression each)
};
SesRegression ses_regression(const Eigen::VectorXd& x, const Eigen::VectorXd& y, double lambda);

}  // namespace nnsweep::theory::splines
