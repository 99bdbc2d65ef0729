"""The Flask extensions, created once and bound to the app in :func:`workflow.create_app`."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from workflow.platform.replica import RoutingSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The session can send the portfolio's reads to a replica (platform/replica.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
