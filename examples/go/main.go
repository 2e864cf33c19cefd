// A small HTTP server: GET / answers "hello from shallot" on $PORT (default 8080).
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"

	"example.com/greeting"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "hello from shallot\n%s\nbuilt with %s\n", greeting.For("shallot"), runtime.Version())
	})
	log.Printf("listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
