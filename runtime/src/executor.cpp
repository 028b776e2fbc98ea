//===- executor.cpp - Run a step's schedules ------------------------------===//

#include "executor.h"

namespace nhc::runtime {

Executor::Executor(const ExecutionPlan &plan, Backend &backend)
    : plan_(plan), backend_(backend) {
  bodyGemmOrdinal_.assign(plan_.body.size(), 0);
  for (size_t e = 0; e < plan_.body.size(); ++e)
    if (plan_.body[e].kind == EntryKind::Gemm) {
      bodyGemmOrdinal_[e] = bodyGemmWeights_.size();
      bodyGemmWeights_.push_back(plan_.body[e].gemm.weight);
    } else if (plan_.body[e].kind == EntryKind::MoeExperts) {
      const MoeCall &moe = plan_.body[e].moe;
      bodyGemmOrdinal_[e] = bodyExpertGemmWeights_.size();
      for (uint64_t x = 0; x < moe.numExperts; ++x)
        for (const std::vector<size_t> *projection : {&moe.up, &moe.down})
          bodyExpertGemmWeights_.push_back(
              (*projection)[moe.stacked ? 0 : x]);
    }
}

std::vector<bool> Executor::matrixOnlyWeights(size_t count) const {
  std::vector<bool> matrix(count, false), other(count, false);
  auto mark = [&](std::vector<bool> &set, size_t index) {
    if (index < count)
      set[index] = true;
  };
  for (const auto *entries : {&plan_.body, &plan_.headLast, &plan_.headAll})
    for (const ScheduleEntry &entry : *entries) {
      switch (entry.kind) {
      case EntryKind::Kernel:
        for (const KernelArg &arg : entry.kernel.args)
          if (arg.kind == ArgKind::Weight)
            mark(other, arg.ref);
        break;
      case EntryKind::Gemm:
        mark(matrix, entry.gemm.weight);
        if (entry.gemm.hasBias)
          mark(other, entry.gemm.bias);
        // Scales are read as f32 values (a hostile manifest may name a
        // matrix as a scale too: it then gets its f32 copy).
        if (entry.gemm.scaled) {
          mark(other, entry.gemm.inputScale);
          mark(other, entry.gemm.weightScale);
        }
        if (entry.gemm.quantizeOutput)
          mark(other, entry.gemm.outputScale);
        break;
      case EntryKind::Embedding:
        mark(matrix, entry.embedding.table); // rows widened as gathered
        break;
      case EntryKind::MoeExperts:
        for (size_t index : entry.moe.up)
          mark(matrix, index);
        for (size_t index : entry.moe.down)
          mark(matrix, index);
        for (const std::vector<size_t> *scales : entry.moe.scaleLists())
          for (size_t index : *scales)
            mark(other, index);
        break;
      }
    }
  for (size_t i = 0; i < count; ++i)
    matrix[i] = matrix[i] && !other[i];
  return matrix;
}

void Executor::prepare(uint64_t tokens, uint64_t requests,
                       uint64_t logitsRows) {
  // A decode-shaped step may run padded to its bucket (runRecorded): that
  // is prepared too, if it can be (else the step runs unpadded).
  preparedBucket_ = requests;
  if (tokens == requests && logitsRows == requests) {
    uint64_t bucket = backend_.decodeBucket(requests);
    if (bucket != requests) {
      try {
        backend_.prepare({bucket, bucket, bucket});
        preparedBucket_ = bucket;
      } catch (const Error &) {
        // Out of memory or no GEMM plan for the bucket's rows: unpadded.
      }
    }
  }
  backend_.prepare({tokens, requests, logitsRows});
}

size_t Executor::stepEntries(ScheduleKind head, uint64_t headPasses) const {
  return entries(ScheduleKind::Body) + headPasses * entries(head);
}

size_t Executor::entries(ScheduleKind schedule) const {
  switch (schedule) {
  case ScheduleKind::Body:
    return plan_.body.size();
  case ScheduleKind::HeadLast:
    return plan_.headLast.size();
  case ScheduleKind::HeadAll:
    return plan_.headAll.size();
  }
  return 0;
}

void Executor::run(ScheduleKind head, const StepIo &io) {
  size_t total = stepEntries(head);
  bool decode = head == ScheduleKind::HeadLast && io.tokens == io.requests &&
                (!io.taps || io.taps->empty()) && !io.gemmInputAbsmax &&
                !io.expertInputAbsmax && !io.entrySeconds;
  TokenPicks picks = io.picks;
  if (!(decode && runRecorded(io, total, picks.idsLaunched))) {
    runBody(io, total);
    runHead(head, io, total);
    finishEntryTiming(io, total);
  }
  if (io.greedyIds || io.picks.logprobs)
    backend_.pickTokens(head == ScheduleKind::HeadAll ? io.tokens
                                                      : io.requests,
                        io.vocab, io.logits, picks, io.greedyIds);
}

bool Executor::runRecorded(const StepIo &io, size_t total,
                           bool &idsLaunched) {
  // Where only ids leave the device, their picks (the argmax, or sampling
  // by the rules staged before the step) end the step's recording: a
  // replay then launches nothing else.
  uint64_t idsBit = 0;
  if (io.greedyIds && io.picks.idsOnly() &&
      backend_.picksOnDevice(io.vocab, io.picks))
    idsBit = io.picks.sampling ? Backend::kSampledIdsKey
                               : Backend::kGreedyIdsKey;
  // A decode step's shape: its bucket (the rows past its requests padding)
  // where it was prepared and may be recorded.
  uint64_t key = preparedBucket_ > io.requests ? preparedBucket_ : io.requests;
  if (key != io.requests && !backend_.mayRecord(key | idsBit))
    key = io.requests;
  backend_.padDecodeInputs(io.requests, key);
  backend_.commitInputs({key, key});
  backend_.setLogitsOutput(io.logits, io.requests);
  StepIo padded = io;
  padded.tokens = padded.requests = key;
  padded.progress = nullptr; // reported once the step ran
  // The rules go in before the graph that reads them; not for a step that
  // cannot run recorded (it samples after its head, as any step).
  if (idsBit == Backend::kSampledIdsKey && backend_.mayRecord(key | idsBit))
    backend_.stageSampledIds(io.requests, key, io.picks.sampling);
  launched_ = true; // a replay runs the whole step
  const uint64_t recording = key | idsBit;
  const bool replayed = backend_.replayRecorded(recording);
  launched_ = replayed;
  if (!replayed) {
    if (!backend_.beginRecording(recording)) {
      if (key == io.requests)
        return false; // runs as any step
      // A bucket's first step (the warm-up) or one that cannot be recorded:
      // padded as its recording will be, launch by launch.
      runDecodeEntries(padded, total, idsBit);
    } else if (!recordStep(padded, recording, total)) {
      return false;
    }
  }
  idsLaunched = idsBit != 0;
  endHead(io);
  if (io.progress)
    for (size_t done = 1; done <= total; ++done)
      io.progress(io.progressUser, done, total);
  return true;
}

bool Executor::recordStep(const StepIo &recording, uint64_t key,
                          size_t total) {
  try {
    recording_ = true;
    runDecodeEntries(recording, total, key & Backend::kIdsKeys);
    recording_ = false;
  } catch (const NotRecordable &) {
    recording_ = false;
    backend_.endRecording(key); // discarded; `key` runs directly from now
    return false;
  } catch (...) {
    recording_ = false;
    backend_.abortRecording(); // nothing of the step is kept or ran
    throw;
  }
  if (!backend_.endRecording(key))
    return false;
  launched_ = true;
  return backend_.replayRecorded(key);
}

void Executor::runDecodeEntries(const StepIo &io, size_t total,
                                uint64_t idsBit) {
  size_t done = 0;
  runEntries(plan_.body, ScheduleKind::Body, io, done, total);
  runEntries(plan_.headLast, ScheduleKind::HeadLast, io, done, total);
  if (idsBit)
    backend_.launchIds(io.requests, io.vocab,
                       idsBit == Backend::kSampledIdsKey);
}

void Executor::runBody(const StepIo &io, size_t total) {
  done_ = 0;
  if (io.entrySeconds)
    backend_.beginEntryTiming(total);
  backend_.commitInputs({io.tokens, io.requests});
  runEntries(plan_.body, ScheduleKind::Body, io, done_, total);
}

void Executor::runHead(ScheduleKind head, const StepIo &io, size_t total) {
  bool last = head == ScheduleKind::HeadLast;
  backend_.commitInputs({io.tokens, io.requests});
  backend_.setLogitsOutput(io.logits, last ? io.requests : io.tokens);
  runEntries(last ? plan_.headLast : plan_.headAll, head, io, done_, total);
  endHead(io);
}

void Executor::endHead(const StepIo &io) {
  // Entry timing reads the step's events right after the head.
  if ((io.greedyIds || io.picks.logprobs) && !io.entrySeconds &&
      backend_.picksOnDevice(io.vocab, io.picks))
    backend_.issueLogitsCopy(); // pickTokens waits, once, for its ids
  else
    backend_.synchronize();
}

void Executor::finishEntryTiming(const StepIo &io, size_t total) {
  if (io.entrySeconds)
    backend_.entrySeconds(io.entrySeconds, total);
}

void Executor::copyTaps(size_t entry, const StepIo &io) {
  for (const TapCopy &tap : *io.taps) {
    const TapPoint &p = *tap.point;
    if (p.after == entry)
      backend_.readRows(p.buffer, p.offset, p.ld, p.width, io.tokens, tap.out);
  }
}

void Executor::runEntries(const std::vector<ScheduleEntry> &entries,
                          ScheduleKind schedule, const StepIo &io,
                          size_t &done, size_t total) {
  const StepShape shape{io.tokens, io.requests};
  const uint64_t logitsRows =
      schedule == ScheduleKind::HeadLast ? io.requests : io.tokens;
  for (size_t e = 0; e < entries.size(); ++e) {
    const ScheduleEntry &entry = entries[e];
    if (!recording_)
      launched_ = true;
    switch (entry.kind) {
    case EntryKind::Kernel:
      backend_.launch(entry.kernel, shape, logitsRows);
      break;
    case EntryKind::Gemm:
      if (schedule == ScheduleKind::Body && io.gemmInputAbsmax) {
        uint64_t m = entry.gemm.rows == Rows::Tokens ? io.tokens : io.requests;
        foldAbsMax(io.gemmInputAbsmax[bodyGemmOrdinal_[e]],
                   backend_.absMax(entry.gemm.a, m, entry.gemm.k));
      }
      backend_.gemm(entry.gemm, shape);
      break;
    case EntryKind::MoeExperts:
      backend_.moeExperts(entry.moe, shape,
                          schedule == ScheduleKind::Body && io.expertInputAbsmax
                              ? io.expertInputAbsmax + bodyGemmOrdinal_[e]
                              : nullptr);
      break;
    case EntryKind::Embedding:
      backend_.embedding(entry.embedding, shape);
      break;
    }
    if (schedule == ScheduleKind::Body && io.taps && !io.taps->empty())
      copyTaps(e, io);
    if (io.entrySeconds)
      backend_.entryIssued(done);
    ++done;
    if (io.progress)
      io.progress(io.progressUser, done, total);
  }
}

} // namespace nhc::runtime
