module example.com/hello

go 1.19

require example.com/greeting v0.0.0

// A local module: built from this directory, never downloaded.
replace example.com/greeting => ./greeting
