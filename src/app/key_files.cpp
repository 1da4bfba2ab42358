// Key files on disk: bounded reads, and a new private key created 0600 with O_EXCL so it is never world-readable,
// not even for a moment, and never replaces an existing key.
#include "app/key_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "app/startup_error.hpp"

namespace sms_auth {
namespace {

constexpr std::streamsize kMaxKeyFileSize = 64 * 1024;

std::string read_key_file(const char* variable, const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigurationError(variable, "cannot read " + path);
  std::string text(static_cast<std::size_t>(kMaxKeyFileSize) + 1, '\0');
  file.read(text.data(), kMaxKeyFileSize + 1);
  if (file.gcount() > kMaxKeyFileSize) throw ConfigurationError(variable, path + " is too large to be a key file");
  text.resize(static_cast<std::size_t>(file.gcount()));
  return text;
}

}  // namespace

Ed25519Key read_signing_key_file(const std::string& path) {
  const std::string pem = read_key_file("JWT_PRIVATE_KEY_FILE", path);
  try {
    return Ed25519Key::from_private_pem(pem);
  } catch (const std::invalid_argument& e) {
    throw ConfigurationError("JWT_PRIVATE_KEY_FILE", path + ": " + e.what() +
                                                         " (make one with: sms-auth keys generate --out " + path + ")");
  }
}

Ed25519Key read_verification_key_file(const std::string& path) {
  const std::string pem = read_key_file("JWT_PREVIOUS_PUBLIC_KEY_FILES", path);
  try {
    return Ed25519Key::from_public_pem(pem);
  } catch (const std::invalid_argument& e) {
    throw ConfigurationError("JWT_PREVIOUS_PUBLIC_KEY_FILES", path + ": " + e.what());
  }
}

bool readable_by_others(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0;
}

void write_private_key_file(const std::string& path, const Ed25519Key& key) {
  const std::string pem = key.private_pem();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  std::size_t written = 0;
  bool written_ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0;  // exactly 0600, whatever the umask left
  while (written_ok && written < pem.size()) {
    const ssize_t n = ::write(fd, pem.data() + written, pem.size() - written);
    if (n < 0 && errno == EINTR) continue;
    written_ok = n > 0;
    if (written_ok) written += static_cast<std::size_t>(n);
  }
  written_ok = written_ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written_ok) {
    ::unlink(path.c_str());
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(saved_errno));
  }
}

}  // namespace sms_auth
