//! A std-only HTTP server: `GET /` answers `hello from shallot`, on `$PORT` (default 8080).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

fn main() {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = match TcpListener::bind(("0.0.0.0", port.parse().unwrap_or(8080))) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on :{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("shallot-example-rust listening on :{port}");
    for stream in listener.incoming().flatten() {
        if let Err(e) = answer(stream) {
            eprintln!("request failed: {e}");
        }
    }
}

fn answer(mut stream: TcpStream) -> std::io::Result<()> {
    let mut request_line = String::new();
    BufReader::new(&stream).read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (status, body) = match (parts.next(), parts.next()) {
        (Some("GET"), Some(path)) if path == "/" || path.starts_with("/?") => (
            "200 OK",
            format!("hello from shallot\n{}\n", greeting::greeting("shallot")),
        ),
        _ => ("404 Not Found", "not found\n".to_string()),
    };
    write!(
        stream,
        "HTTP/1.0 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
