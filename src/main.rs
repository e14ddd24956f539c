use clap::Parser;

fn main() {
    let cli = backstop::cli::Cli::parse();
    match backstop::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("backstop: {e:#}");
            std::process::exit(3);
        }
    }
}
