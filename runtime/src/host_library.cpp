//===- host_library.cpp - Load the artifact's host kernel library ---------===//

#include "host_library.h"
#include "nhc/format/library_kernels.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "error.h"
#include "nhc/runtime/artifact.h"
#include "thread_pool.h"

namespace nhc::runtime {
namespace {

/// Writes all of `data` to `fd`; returns errno or 0.
int writeAll(int fd, const void *data, uint64_t size) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    p += n;
    size -= static_cast<uint64_t>(n);
  }
  return 0;
}

/// A descriptor holding the library bytes, or -1 with `error` set.
int anonymousFile(std::string &error) {
#if defined(__linux__) && defined(MFD_CLOEXEC)
  int memfd = ::memfd_create("nhc-host-kernels", MFD_CLOEXEC);
  if (memfd >= 0)
    return memfd;
  error = cat("memfd_create: ", std::strerror(errno));
#endif
  // Fallback: a temporary file that is unlinked right away; it lives on
  // through the descriptor.
  const char *dir = std::getenv("TMPDIR");
  std::string pattern = cat(dir && *dir ? dir : "/tmp", "/nhc-host-XXXXXX");
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    error += cat(error.empty() ? "" : "; ", "mkstemp '", pattern,
                 "': ", std::strerror(errno));
    return -1;
  }
  ::unlink(pattern.c_str());
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

/// Why some allocated section of the library (code, its dynamic table and
/// symbols, data) lies in no loadable segment, or code in one that is not
/// executable, or "" if none does: the loader would leave it unmapped and
/// the first use, at load (initializers) or in a step, would fault.
/// Thread-local sections are placed by the TLS block, not a segment.
std::string sectionsOutsideSegments(const uint8_t *data,
                                    const Elf64_Ehdr &header,
                                    const std::vector<Elf64_Phdr> &loaded) {
  if (header.e_shoff == 0 || header.e_shentsize != sizeof(Elf64_Shdr))
    return "it has no section headers to check its segments against";
  for (uint16_t i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr section;
    std::memcpy(&section, data + header.e_shoff + i * sizeof(section),
                sizeof(section));
    if (!(section.sh_flags & SHF_ALLOC) || (section.sh_flags & SHF_TLS) ||
        section.sh_size == 0)
      continue;
    const bool code = section.sh_flags & SHF_EXECINSTR;
    bool mapped = false;
    for (const Elf64_Phdr &segment : loaded)
      mapped = mapped ||
               (section.sh_addr >= segment.p_vaddr &&
                section.sh_addr - segment.p_vaddr <= segment.p_memsz &&
                section.sh_size <=
                    segment.p_memsz - (section.sh_addr - segment.p_vaddr) &&
                (!code || (segment.p_flags & PF_X)));
    if (!mapped)
      return cat("its section ", i, " (address ", section.sh_addr, ", ",
                 section.sh_size, " bytes", code ? ", code" : "",
                 ") lies in no loadable", code ? " executable" : "",
                 " segment");
  }
  return "";
}

/// Why `data` is not a whole ELF64 shared object whose headers and segments
/// lie inside its `size` bytes, or "" if it is. The loader maps
/// segments from the file: one cut short would be mapped past its end and
/// fault (SIGBUS) on first touch instead of failing to load.
std::string elfOutOfBounds(const uint8_t *data, uint64_t size) {
  Elf64_Ehdr header;
  if (size < sizeof(header) || std::memcmp(data, ELFMAG, SELFMAG) != 0)
    return "not an ELF file";
  std::memcpy(&header, data, sizeof(header));
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_type != ET_DYN)
    return "not a 64-bit ELF shared object";
  if (header.e_phentsize != sizeof(Elf64_Phdr))
    return cat("its program header size is ", header.e_phentsize, ", not ",
               sizeof(Elf64_Phdr));
  if (header.e_phoff > size ||
      uint64_t(header.e_phnum) * sizeof(Elf64_Phdr) > size - header.e_phoff)
    return "its program headers lie outside the section";
  if (header.e_shoff != 0 &&
      (header.e_shoff > size || uint64_t(header.e_shnum) * header.e_shentsize >
                                    size - header.e_shoff))
    return "its section headers lie outside the section: truncated";
  std::vector<Elf64_Phdr> loaded; // the PT_LOAD segments
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment;
    std::memcpy(&segment, data + header.e_phoff + i * sizeof(segment),
                sizeof(segment));
    if (segment.p_offset > size || segment.p_filesz > size - segment.p_offset)
      return cat("segment ", i, " (bytes ", segment.p_offset, " + ",
                 segment.p_filesz, ") runs past its end: truncated");
    if (segment.p_type == PT_LOAD)
      loaded.push_back(segment);
  }
  return sectionsOutsideSegments(data, header, loaded);
}

} // namespace

std::unique_ptr<HostLibrary> HostLibrary::load(const void *data,
                                               uint64_t size,
                                               const std::string &origin) {
  std::string bounds =
      elfOutOfBounds(static_cast<const uint8_t *>(data), size);
  NHC_CHECK(bounds.empty(), NHC_INVALID_FORMAT,
            cat(origin, ": cannot load the host library (", size,
                " bytes): ", bounds));
  std::string error;
  int fd = anonymousFile(error);
  NHC_CHECK(fd >= 0, NHC_IO_ERROR,
            cat(origin, ": cannot create a file for the host library: ",
                error));
  int err = writeAll(fd, data, size);
  if (err != 0) {
    ::close(fd);
    throw Error(NHC_IO_ERROR, cat(origin, ": cannot write the host library: ",
                                  std::strerror(err)));
  }
  std::string path = cat("/proc/self/fd/", fd);
  // RTLD_NOW: an unresolved symbol fails here, not in the middle of a step.
  // RTLD_LOCAL: two artifacts' kernels never interpose on each other.
  void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = ::dlerror();
    ::close(fd);
    throw Error(NHC_INVALID_FORMAT,
                cat(origin, ": cannot load the host library (", size,
                    " bytes): ", why ? why : "unknown dlopen error"));
  }
  return std::unique_ptr<HostLibrary>(new HostLibrary(handle, fd, origin));
}

HostLibrary::HostLibrary(void *handle, int fd, std::string origin)
    : handle_(handle), fd_(fd), origin_(std::move(origin)) {
  // Only a library whose sliced entries have the ABI this runtime calls.
  const void *abi = ::dlsym(handle_, NHC_HOST_SLICED_ABI_SYMBOL);
  int64_t version = 0;
  if (abi)
    std::memcpy(&version, abi, sizeof(version));
  slicedAbi_ = version == NHC_HOST_SLICED_ABI_VERSION;
}

HostLibrary::~HostLibrary() {
  ::dlclose(handle_);
  ::close(fd_);
}

PackedKernelFn HostLibrary::packedKernel(const std::string &kernel) const {
  std::string symbol = kernel + "_packed";
  ::dlerror(); // clear
  void *address = ::dlsym(handle_, symbol.c_str());
  NHC_CHECK(address != nullptr, NHC_NOT_FOUND,
            cat(origin_, ": kernel '", kernel, "': symbol '", symbol,
                "' is missing from the host library"));
  PackedKernelFn fn;
  static_assert(sizeof(fn) == sizeof(address), "function pointer size");
  std::memcpy(&fn, &address, sizeof(fn));
  return fn;
}

PackedKernelFn
HostLibrary::optionalPackedKernel(const std::string &kernel) const {
  std::string symbol = kernel + "_packed";
  void *address = ::dlsym(handle_, symbol.c_str());
  PackedKernelFn fn = nullptr;
  if (address)
    std::memcpy(&fn, &address, sizeof(fn));
  return fn;
}

void runOnHostThreads(const HostKernel &kernel, void **args,
                      const std::string &origin) {
  const size_t threads = hostThreads();
  if (!kernel.sliced || threads == 1) {
    kernel.fn(args);
    return;
  }
  const auto slices = static_cast<int64_t>(threads);
  for (int64_t phase = 0, more = 1; more; ++phase) {
    NHC_CHECK(phase < kMaxKernelPhases, NHC_INTERNAL,
              cat(origin, ": a host kernel's sliced entry ran ", phase,
                  " phases without finishing"));
    parallelFor(threads, 1, [&](size_t begin, size_t end) {
      for (size_t s = begin; s < end; ++s) {
        int64_t later = kernel.sliced(args, static_cast<int64_t>(s), slices,
                                      phase);
        if (s == 0)
          more = later; // every slice returns the same
      }
    });
  }
}

SlicedKernelFn HostLibrary::slicedKernel(const std::string &kernel) const {
  if (!slicedAbi_)
    return nullptr;
  std::string symbol =
      kernel + ::nhc::format::kernel::kSlicedSuffix + "_packed";
  void *address = ::dlsym(handle_, symbol.c_str());
  SlicedKernelFn fn = nullptr;
  static_assert(sizeof(fn) == sizeof(address), "function pointer size");
  if (address)
    std::memcpy(&fn, &address, sizeof(fn));
  return fn;
}

} // namespace nhc::runtime
