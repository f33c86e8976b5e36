#include "cli/view.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "trace/chrome.hpp"
#include "trace/sinks.hpp"
#include "viewer_html.hpp"  // generated from sim/trace/viewer.html (cmake/embed_text.cmake)

namespace rcusim::cli {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view kTracePlaceholder = "/*RCUSIM_TRACE*/";
constexpr std::string_view kMetaPlaceholder =
    "<script id=\"trace-meta\" type=\"application/json\">{}</script>";
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 0;
constexpr int kMaxSessions = 64;
constexpr auto kTimeout = std::chrono::seconds(15);

// The trace as served: a file on disk (chrome format) or a converted document in memory.
struct TraceSource {
    std::string path;                         // non-empty: serve this file
    std::shared_ptr<const std::string> data;  // else: serve this
};

struct Site {
    std::shared_ptr<const std::string> page;
    TraceSource trace;
    unsigned short port = 0;
    int sessions = 0;  // io_context runs on one thread
};

std::string read_head(const std::string& path, std::size_t n) {
    std::ifstream in(path, std::ios::binary);
    std::string head(n, '\0');
    in.read(head.data(), static_cast<std::streamsize>(n));
    head.resize(static_cast<std::size_t>(in.gcount()));
    return head;
}

// The chrome-format text of `path`: the file itself, or its jsonl converted.
bool load_trace(const std::string& path, TraceSource* src, std::string* why) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        *why = "no such file";
        return false;
    }
    std::ifstream probe(path, std::ios::binary);
    if (!probe) {
        *why = "cannot read it";
        return false;
    }
    if (trace::looks_like_jsonl(read_head(path, 64))) {
        std::ostringstream out;
        trace::convert_jsonl_to_chrome(probe, out, {}, path);
        src->data = std::make_shared<const std::string>(std::move(out).str());
        return true;
    }
    std::string head = read_head(path, 4096);
    std::size_t i = head.find_first_not_of(" \t\r\n");
    if (i == std::string::npos || (head[i] != '{' && head[i] != '[')) {
        *why = "not a chrome-format (Trace Event JSON) or jsonl trace";
        return false;
    }
    src->path = path;
    return true;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return std::move(s).str();
}

bool host_allowed(std::string_view host, unsigned short port) {
    const std::string p = ":" + std::to_string(port);
    for (std::string_view h : {"127.0.0.1", "localhost"}) {
        if (host == h) return true;
        if (host.size() == h.size() + p.size() && host.substr(0, h.size()) == h &&
            host.substr(h.size()) == p)
            return true;
    }
    return false;
}

beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

template <typename Body>
void common_headers(http::response<Body>& res, std::string_view type) {
    res.set(http::field::server, "rcusim-view");
    res.set(http::field::content_type, bsv(type));
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
}

class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(tcp::socket socket, Site& site) : stream_(std::move(socket)), site_(site) {
        ++site_.sessions;
    }
    ~Session() { --site_.sessions; }

    void start() { read(); }

   private:
    void read() {
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        parser_->body_limit(kBodyLimit);
        stream_.expires_after(kTimeout);
        http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
            ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
            ec == asio::error::eof)
            return close();
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
            return error(http::status::request_header_fields_too_large, "headers too large");
        if (ec == http::error::body_limit)
            return error(http::status::payload_too_large, "requests carry no body");
        if (ec) return error(http::status::bad_request, "malformed request");
        handle(parser_->get());
    }

    void handle(const http::request<http::empty_body>& req) {
        keep_alive_ = req.keep_alive();
        if (req.method() != http::verb::get && req.method() != http::verb::head)
            return error(http::status::method_not_allowed, "GET or HEAD only");
        const beast::string_view host = req[http::field::host];
        if (!host_allowed(std::string_view(host.data(), host.size()), site_.port))
            return error(http::status::forbidden, "unexpected Host");
        std::string_view target(req.target().data(), req.target().size());
        target = target.substr(0, target.find_first_of("?#"));
        const bool head = req.method() == http::verb::head;
        if (target == "/" || target == "/index.html")
            return send_memory(site_.page, "text/html; charset=utf-8", head, true);
        if (target == "/trace.json") {
            if (site_.trace.data)
                return send_memory(site_.trace.data, "application/json", head, false);
            return send_file(site_.trace.path, head);
        }
        error(http::status::not_found, "not found");
    }

    void send_memory(std::shared_ptr<const std::string> data, std::string_view type, bool head,
                     bool page) {
        auto res =
            std::make_shared<http::response<http::span_body<const char>>>(http::status::ok, 11);
        common_headers(*res, type);
        if (page) {
            res->set("Content-Security-Policy",
                     "default-src 'none'; script-src 'unsafe-inline'; style-src "
                     "'unsafe-inline'; connect-src 'self'; img-src data:");
        }
        res->keep_alive(keep_alive_);
        if (head) {
            res->content_length(data->size());
        } else {
            res->body() = http::span_body<const char>::value_type(data->data(), data->size());
            res->prepare_payload();
        }
        write(std::move(res), std::move(data));
    }

    void send_file(const std::string& path, bool head) {
        http::file_body::value_type file;
        beast::error_code ec;
        file.open(path.c_str(), beast::file_mode::scan, ec);
        if (ec) return error(http::status::internal_server_error, "cannot read the trace");
        if (head) {
            // A file_body must hold an open file even when nothing of it is sent (Beast asserts
            // it); HEAD answers with an empty body and the file's length instead.
            auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, 11);
            common_headers(*res, "application/json");
            res->keep_alive(keep_alive_);
            res->content_length(file.size());
            return write(std::move(res), nullptr);
        }
        auto res = std::make_shared<http::response<http::file_body>>(http::status::ok, 11);
        common_headers(*res, "application/json");
        res->keep_alive(keep_alive_);
        res->body() = std::move(file);
        res->prepare_payload();
        write(std::move(res), nullptr);
    }

    void error(http::status status, std::string_view what) {
        auto res = std::make_shared<http::response<http::string_body>>(status, 11);
        common_headers(*res, "text/plain; charset=utf-8");
        if (status == http::status::method_not_allowed) res->set(http::field::allow, "GET, HEAD");
        // Anything but a clean 404 ends the connection: the request stream may be garbage.
        if (status != http::status::not_found) keep_alive_ = false;
        res->keep_alive(keep_alive_);
        res->body() = std::string(what) + "\n";
        res->prepare_payload();
        write(std::move(res), nullptr);
    }

    template <typename Response>
    void write(std::shared_ptr<Response> res, std::shared_ptr<const std::string> keep) {
        stream_.expires_after(kTimeout);
        http::async_write(
            stream_, *res,
            [self = shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
                if (ec || !self->keep_alive_) return self->close();
                self->read();
            });
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.socket().close(ec);
    }

    beast::tcp_stream stream_;
    Site& site_;
    beast::flat_buffer buffer_{kHeaderLimit + 1024};
    std::optional<http::request_parser<http::empty_body>> parser_;
    bool keep_alive_ = false;
};

class Server {
   public:
    Server(asio::io_context& io, Site& site) : io_(io), acceptor_(io), site_(site) {}

    bool listen(int port, std::string* why) {
        beast::error_code ec;
        tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), static_cast<unsigned short>(port));
        acceptor_.open(ep.protocol(), ec);
        if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) acceptor_.bind(ep, ec);
        if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            *why = ec.message();
            return false;
        }
        site_.port = acceptor_.local_endpoint().port();
        accept();
        return true;
    }
    void stop() {
        beast::error_code ec;
        acceptor_.close(ec);
    }

   private:
    void accept() {
        acceptor_.async_accept(io_, [this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted) return;
            if (!ec) {
                if (site_.sessions >= kMaxSessions) {
                    beast::error_code ignored;
                    socket.close(ignored);
                } else {
                    std::make_shared<Session>(std::move(socket), site_)->start();
                }
            }
            if (acceptor_.is_open()) accept();
        });
    }

    asio::io_context& io_;
    tcp::acceptor acceptor_;
    Site& site_;
};

std::string json_escape_lt(std::string_view json) {
    std::string out;
    out.reserve(json.size() + json.size() / 64);
    for (char c : json) {
        if (c == '<') {
            out.append("\\u003c");
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

std::string viewer_page(std::string_view trace_json, std::string_view name) {
    std::string page(embedded::kViewerHtml);
    // The trace first: its placeholder comes after the meta one, and the inserted JSON holds
    // no '<', so it cannot contain the meta placeholder either.
    if (!trace_json.empty()) {
        auto t = page.find(kTracePlaceholder);
        if (t != std::string::npos)
            page.replace(t, kTracePlaceholder.size(), json_escape_lt(trace_json));
    }
    std::string meta = "<script id=\"trace-meta\" type=\"application/json\">" +
                       json_escape_lt(nlohmann::json{{"name", std::string(name)}}.dump()) +
                       "</script>";
    auto m = page.find(kMetaPlaceholder);
    if (m != std::string::npos) page.replace(m, kMetaPlaceholder.size(), meta);
    return page;
}

int cmd_view(const std::string& trace_path, int port, const std::string& html_out) {
    TraceSource src;
    std::string why;
    try {
        if (!load_trace(trace_path, &src, &why)) {
            std::fprintf(stderr, "rcusim: %s: %s\n", trace_path.c_str(), why.c_str());
            return 2;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rcusim: %s\n", e.what());
        return 2;
    }
    const std::string name = std::filesystem::path(trace_path).filename().string();

    if (!html_out.empty()) {
        const std::string text = src.data ? std::string() : slurp(src.path);
        const std::string page =
            viewer_page(src.data ? std::string_view(*src.data) : std::string_view(text), name);
        trace::AtomicFile out(html_out);
        out.stream() << page;
        out.commit();
        std::printf("rcusim view: wrote %s (%zu bytes, trace %s embedded)\n", html_out.c_str(),
                    page.size(), trace_path.c_str());
        return 0;
    }

    if (port < 0 || port > 65535) {
        std::fprintf(stderr, "rcusim: --port: expected 0..65535, found %d\n", port);
        return 2;
    }
    Site site;
    site.page = std::make_shared<const std::string>(viewer_page({}, name));
    site.trace = std::move(src);
    asio::io_context io;
    Server server(io, site);
    if (!server.listen(port, &why)) {
        std::fprintf(stderr, "rcusim: cannot listen on 127.0.0.1:%d: %s\n", port, why.c_str());
        return 2;
    }
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) {
        server.stop();
        io.stop();
    });
    std::printf("rcusim view: serving %s at http://127.0.0.1:%u/ (Ctrl-C stops)\n",
                trace_path.c_str(), static_cast<unsigned>(site.port));
    std::fflush(stdout);
    io.run();
    std::printf("rcusim view: stopped\n");
    return 0;
}

}  // namespace rcusim::cli
