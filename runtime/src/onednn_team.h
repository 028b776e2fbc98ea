//===- onednn_team.h - oneDNN calls on the calling thread only -*- C++ -*-===//
//
// Debian builds oneDNN on OpenMP (libgomp), which would start a team of
// threads per call. The host thread pool (thread_pool.h) owns the cores and
// runs one oneDNN call per part of a gemm, so each call asks OpenMP for a
// team of one while it runs and gives the calling thread (perhaps the
// application's) its own setting back.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_ONEDNN_TEAM_H
#define NHC_RUNTIME_SRC_ONEDNN_TEAM_H

// OpenMP's; declared here because clang has no omp.h without its own
// OpenMP runtime.
extern "C" void omp_set_num_threads(int);
extern "C" int omp_get_max_threads(void);

namespace nhc::runtime {

/// While alive, oneDNN calls on this thread run on this thread alone.
class OneThreadTeam {
public:
  OneThreadTeam() : team_(omp_get_max_threads()) {
    if (team_ != 1)
      omp_set_num_threads(1);
  }
  ~OneThreadTeam() {
    if (team_ != 1)
      omp_set_num_threads(team_);
  }
  OneThreadTeam(const OneThreadTeam &) = delete;
  OneThreadTeam &operator=(const OneThreadTeam &) = delete;

private:
  int team_;
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_ONEDNN_TEAM_H
