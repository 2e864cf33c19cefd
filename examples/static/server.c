/*
 * A tiny HTTP server for the static runtime example: GET / answers
 * "hello from shallot" on $PORT (default 8080). Only libc, so it links
 * statically with `cc -static -Os -o server server.c` (see shallot.yaml).
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char ok[] =
    "HTTP/1.0 200 OK\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Connection: close\r\n\r\n"
    "hello from shallot\nserved by a prebuilt binary\n";
static const char missing[] =
    "HTTP/1.0 404 Not Found\r\nConnection: close\r\n\r\nnot found\n";

int main(void) {
    const char *env = getenv("PORT");
    int port = env ? atoi(env) : 8080;
    if (port <= 0 || port > 65535) port = 8080;
    signal(SIGPIPE, SIG_IGN);

    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    int no = 0, yes = 1;
    if (fd < 0) { perror("socket"); return 1; }
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    struct sockaddr_in6 addr = {0};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    addr.sin6_port = htons((unsigned short)port);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("bind"); return 1; }
    if (listen(fd, 16) < 0) { perror("listen"); return 1; }
    fprintf(stderr, "listening on :%d\n", port);

    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) continue;
        char req[2048];
        ssize_t n = read(c, req, sizeof req - 1);
        if (n > 0) {
            req[n] = '\0';
            int root = strncmp(req, "GET / ", 6) == 0 || strncmp(req, "GET /?", 6) == 0;
            const char *answer = root ? ok : missing;
            size_t len = root ? sizeof ok - 1 : sizeof missing - 1;
            ssize_t w = write(c, answer, len);
            (void)w;
        }
        close(c);
    }
}
