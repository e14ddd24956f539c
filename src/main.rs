use clap::Parser;

fn main() {
    if let Err(e) = backstop::timings::init_from_env() {
        eprintln!("backstop: {e:#}");
    }
    let cli = backstop::cli::Cli::parse();
    match backstop::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("backstop: {e:#}");
            std::process::exit(3);
        }
    }
}
