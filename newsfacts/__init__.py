"""newsfacts: news articles to fact tables."""
