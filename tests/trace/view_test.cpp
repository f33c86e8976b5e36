// rcusim view: the viewer server (127.0.0.1 only, one page and one trace, nothing else from
// the disk) and the self-contained --html page. Runs the rcusim binary ($RCUSIM_BIN) and
// talks HTTP to it over plain sockets.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "trace/chrome_validator.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace {

std::string rcusim_bin() {
    const char* b = std::getenv("RCUSIM_BIN");
    return b ? b : "build/rcusim";
}

struct Scratch {
    fs::path dir;
    explicit Scratch(const std::string& tag)
        : dir(fs::temp_directory_path() /
              ("rcusim_view_" + tag + "_" + std::to_string(::getpid()))) {
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

// Runs rcusim with `args`; returns the exit code (stdout and stderr to `log`).
int run_rcusim(const std::vector<std::string>& args, const std::string& log) {
    std::string cmd = "'" + rcusim_bin() + "'";
    for (const auto& a : args) cmd += " '" + a + "'";
    cmd += " >'" + log + "' 2>&1";
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// `rcusim view TRACE --port 0` in the background; learns the port from its first line.
class Server {
   public:
    explicit Server(const std::string& trace, int port = 0) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        std::string bin = rcusim_bin(), p = std::to_string(port);
        std::vector<char*> argv = {bin.data(),
                                   const_cast<char*>("view"),
                                   const_cast<char*>(trace.c_str()),
                                   const_cast<char*>("--port"),
                                   p.data(),
                                   nullptr};
        REQUIRE(posix_spawn(&pid_, bin.c_str(), &fa, nullptr, argv.data(), environ) == 0);
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        out_ = fds[0];
        line_ = read_line(10000);
        auto at = line_.find("http://127.0.0.1:");
        if (at != std::string::npos) port_ = std::atoi(line_.c_str() + at + 17);
    }
    ~Server() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0) ::close(out_);
    }
    int port() const { return port_; }
    const std::string& first_line() const { return line_; }
    // SIGINT, then the exit code (-1 if it does not exit within 5 s).
    int interrupt() {
        ::kill(pid_, SIGINT);
        for (int i = 0; i < 500; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return -1;
    }
    // Exit code if it exited by itself (waits up to 5 s).
    int wait_exit() {
        for (int i = 0; i < 500; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return -1;
    }

   private:
    std::string read_line(int timeout_ms) {
        std::string s;
        auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char c;
            if (::read(out_, &c, 1) != 1) break;
            if (c == '\n') break;
            s.push_back(c);
        }
        return s;
    }
    pid_t pid_ = -1;
    int out_ = -1;
    int port_ = 0;
    std::string line_;
};

int connect_to(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    timeval tv{20, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

// Sends `request` on a new connection and returns everything read until the server closes
// it (requests here ask for Connection: close) or the read times out.
std::string http_exchange(int port, const std::string& request) {
    int fd = connect_to(port);
    std::size_t sent = 0;
    while (sent < request.size()) {
        ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string out;
    char buf[65536];
    while (true) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

std::string get(int port, const std::string& target, const std::string& method = "GET",
                const std::string& host = "127.0.0.1") {
    return http_exchange(port, method + " " + target + " HTTP/1.1\r\nHost: " + host +
                                   "\r\nConnection: close\r\n\r\n");
}

int status_of(const std::string& response) {
    if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
    return std::atoi(response.c_str() + 9);
}

std::string body_of(const std::string& response) {
    auto at = response.find("\r\n\r\n");
    return at == std::string::npos ? std::string() : response.substr(at + 4);
}

std::string make_trace(const Scratch& s, const std::string& name, const std::string& format) {
    std::string path = s / name;
    run_rcusim({"run", "configs/seed-race.json", "--trace", path, "--format", format, "--repro-dir",
                s / "repro"},
               s / "run.log");
    REQUIRE(fs::exists(path));
    return path;
}

}  // namespace

TEST_CASE("trace::view: serves the page and the trace, 404 for every other path") {
    Scratch s("paths");
    std::string trace = make_trace(s, "seed.json", "chrome");
    Server server(trace);
    INFO(server.first_line());
    REQUIRE(server.port() > 0);

    auto page = get(server.port(), "/");
    CHECK(status_of(page) == 200);
    CHECK(page.find("Content-Type: text/html") != std::string::npos);
    CHECK(page.find("Content-Security-Policy") != std::string::npos);
    CHECK(body_of(page).find("rcusim view") != std::string::npos);
    CHECK(status_of(get(server.port(), "/index.html?x=1")) == 200);

    auto t = get(server.port(), "/trace.json");
    CHECK(status_of(t) == 200);
    CHECK(body_of(t) == rcusim::testing::read_file(trace));

    auto head = get(server.port(), "/trace.json", "HEAD");
    CHECK(status_of(head) == 200);
    CHECK(body_of(head).empty());

    for (std::string bad : std::vector<std::string>{
             "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/trace.json/..", "//etc/passwd",
             "/index.html/../../../etc/passwd", "/..%2ftrace.json", "/trace.json%00",
             "/configs/seed-race.json", "/" + fs::path(trace).filename().string(), trace,
             "/TRACE.JSON", "*", "http://127.0.0.1/../etc/passwd"}) {
        INFO(bad);
        auto r = get(server.port(), bad);
        CHECK(status_of(r) == 404);
        CHECK(r.find("root:") == std::string::npos);
    }
    CHECK(server.interrupt() == 0);
}

TEST_CASE("trace::view: rejects other methods, foreign hosts, oversized and malformed requests") {
    Scratch s("bad");
    Server server(make_trace(s, "seed.json", "chrome"));
    REQUIRE(server.port() > 0);
    CHECK(status_of(get(server.port(), "/", "POST")) == 405);
    CHECK(status_of(get(server.port(), "/", "DELETE")) == 405);
    CHECK(status_of(get(server.port(), "/", "GET", "evil.example:80")) == 403);
    CHECK(status_of(get(server.port(), "/", "GET", "localhost")) == 200);
    std::string big =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fill: " + std::string(20000, 'a') + "\r\n\r\n";
    CHECK(status_of(http_exchange(server.port(), big)) == 431);
    CHECK(status_of(http_exchange(server.port(), "GARBAGE\r\n\r\n")) == 400);
    CHECK(status_of(http_exchange(server.port(), "GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n")) ==
          400);
    CHECK(
        status_of(http_exchange(
            server.port(), "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n" +
                               std::string(1000, 'x'))) >= 400);
    // Still serving after all that.
    CHECK(status_of(get(server.port(), "/trace.json")) == 200);
    CHECK(server.interrupt() == 0);
}

TEST_CASE("trace::view: concurrent clients, and an idle one does not block the others") {
    Scratch s("concurrent");
    std::string trace = make_trace(s, "seed.json", "chrome");
    Server server(trace);
    REQUIRE(server.port() > 0);
    // A client that sends half a request and then nothing.
    int idle = connect_to(server.port());
    std::string half = "GET /trace.json HTTP/1.1\r\nHost: 12";
    ::send(idle, half.data(), half.size(), MSG_NOSIGNAL);
    const std::string expected = rcusim::testing::read_file(trace);
    std::vector<std::future<bool>> clients;
    for (int i = 0; i < 24; ++i) {
        clients.push_back(std::async(std::launch::async, [&, i] {
            auto r = get(server.port(), i % 2 ? "/trace.json" : "/");
            return status_of(r) == 200 && (i % 2 == 0 || body_of(r) == expected);
        }));
    }
    int ok = 0;
    for (auto& c : clients) ok += c.get();
    CHECK(ok == 24);
    // Keep-alive: two requests on one connection.
    auto two = http_exchange(server.port(),
                             "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                             "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    CHECK(two.find("HTTP/1.1 200") == 0);
    CHECK(two.find("HTTP/1.1 404") != std::string::npos);
    ::close(idle);
    CHECK(server.interrupt() == 0);
}

TEST_CASE("trace::view: a jsonl trace is served converted to the chrome format") {
    Scratch s("jsonl");
    std::string trace = make_trace(s, "seed.jsonl", "jsonl");
    std::string chrome = make_trace(s, "seed.json", "chrome");
    Server server(trace);
    REQUIRE(server.port() > 0);
    auto r = get(server.port(), "/trace.json");
    REQUIRE(status_of(r) == 200);
    CHECK(body_of(r) == rcusim::testing::read_file(chrome));
    CHECK(rcusim::testing::validate_chrome_trace(body_of(r)).ok());
    CHECK(server.interrupt() == 0);
}

TEST_CASE("trace::view: bad input and a busy port exit 2") {
    Scratch s("errors");
    CHECK(run_rcusim({"view", s / "missing.json"}, s / "log") == 2);
    CHECK(rcusim::testing::read_file(s / "log").find("missing.json") != std::string::npos);
    { std::ofstream(s / "junk.json") << "hello"; }
    CHECK(run_rcusim({"view", s / "junk.json", "--html", s / "out.html"}, s / "log") == 2);
    CHECK_FALSE(fs::exists(s / "out.html"));
    { std::ofstream(s / "bad.jsonl") << "{\"t\":0,\"step\":0,\"ev\":\"nope\"}\n"; }
    CHECK(run_rcusim({"view", s / "bad.jsonl", "--html", s / "out.html"}, s / "log") == 2);
    CHECK(rcusim::testing::read_file(s / "log").find("bad.jsonl:1") != std::string::npos);

    Server first(make_trace(s, "seed.json", "chrome"));
    REQUIRE(first.port() > 0);
    Server second(s / "seed.json", first.port());
    CHECK(second.wait_exit() == 2);
    CHECK(first.interrupt() == 0);
}

TEST_CASE("trace::view: --html writes one self-contained page that the trace cannot escape") {
    Scratch s("html");
    // A hand-made jsonl trace whose violation message tries to close the <script> element.
    const std::string evil = "</script><script>alert(1)</script><!-- \u2028 & \"q\"";
    {
        std::ofstream out(s / "evil.jsonl");
        out << R"({"t":0,"step":0,"ev":"actor_new","cpu":0,"actor":"a@0","name":"a@0"})"
            << "\n";
        out << R"({"t":5,"step":1,"ev":"step","cpu":0,"actor":"a@0","label":"start"})"
            << "\n";
        out << R"({"t":5,"step":1,"ev":"violation","cpu":0,"actor":"a@0","kind":"lockset",)"
            << R"("message":)" << nlohmann::json(evil).dump() << "}\n";
    }
    REQUIRE(run_rcusim({"view", s / "evil.jsonl", "--html", s / "page.html"}, s / "log") == 0);
    std::string page = rcusim::testing::read_file(s / "page.html");
    CHECK(page.find("<script>alert(1)") == std::string::npos);
    // No reference to anything outside the page.
    CHECK(page.find("src=\"http") == std::string::npos);
    CHECK(page.find("href=\"http") == std::string::npos);
    CHECK(page.find("<link") == std::string::npos);
    // The embedded trace parses back, message intact.
    const std::string open = "<script id=\"trace-data\" type=\"application/json\">";
    auto a = page.find(open);
    REQUIRE(a != std::string::npos);
    a += open.size();
    auto b = page.find("</script>", a);
    REQUIRE(b != std::string::npos);
    auto doc = nlohmann::json::parse(page.substr(a, b - a));
    bool found = false;
    for (const auto& e : doc["traceEvents"])
        if (e.value("cat", "") == "violation") found = e["args"]["message"] == evil;
    CHECK(found);
    auto r = rcusim::testing::validate_chrome_trace(page.substr(a, b - a));
    CHECK(r.ok());
}
