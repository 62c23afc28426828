#include "concur/detail/shared_block.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "concur/detail/fd.hpp"
#include "concur/detail/inheritance.hpp"
#include "concur/errors.hpp"

namespace concur::detail {
namespace {

std::size_t page_rounded(std::size_t size) {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  if (size == 0) size = 1;
  return (size + page - 1) / page * page;
}

void* map_fd(int fd, std::size_t mapped) {
  void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw_errno("mmap");
  return p;
}

}  // namespace

SharedBlock::Mapping::~Mapping() {
  if (addr) ::munmap(addr, mapped);
  if (fd >= 0) ::close(fd);
}

SharedBlock::SharedBlock(std::size_t size, const char* name) {
  if (size == 0) throw ValueError("SharedBlock size must be positive");
  auto m = std::make_shared<Mapping>();
  UniqueFd fd(::memfd_create(name, MFD_CLOEXEC));
  if (!fd) throw_errno("memfd_create");
  m->mapped = page_rounded(size);
  if (::ftruncate(fd.get(), static_cast<off_t>(m->mapped)) != 0) throw_errno("ftruncate");
  m->addr = map_fd(fd.get(), m->mapped);
  m->size = size;
  m->fd = fd.release();
  map_ = std::move(m);
}

std::uint32_t SharedBlock::send() const {
  if (!map_) throw ValueError("cannot share an empty SharedBlock");
  return send_fd_to_child(map_->fd);
}

void SharedBlock::receive(std::size_t size, std::uint32_t slot) {
  UniqueFd fd(receive_fd_from_parent(slot));
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) throw_errno("fstat");
  std::size_t mapped = page_rounded(size);
  if (size == 0 || static_cast<std::size_t>(st.st_size) < mapped) {
    throw UnpicklingError("shared block of " + std::to_string(size) + " bytes arrived with a memfd of " +
                          std::to_string(st.st_size) + " bytes");
  }
  auto m = std::make_shared<Mapping>();
  m->mapped = mapped;
  m->addr = map_fd(fd.get(), mapped);
  m->size = size;
  m->fd = fd.release();
  map_ = std::move(m);
}

}  // namespace concur::detail
